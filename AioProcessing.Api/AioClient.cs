using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using Akka.Actor;

namespace AioProcessing;

/// <summary>Connects to an <see cref="AioListener"/> by its address, as Python's <c>multiprocessing.connection.Client</c>.</summary>
public static class AioClient
{
    /// <summary>Connects to the listener at <paramref name="address"/> and returns this side's end of a duplex connection.</summary>
    /// <param name="address">The listener's <see cref="AioListener.Address"/>.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="IOException">No listener has that address (Python's <c>ConnectionRefusedError</c>).</exception>
    public static AioConnection Connect(string address, AioContext? context = null) => Blocking.Wait(() => ConnectAsync(address, context));

    /// <inheritdoc cref="Connect"/>
    public static async Task<AioConnection> ConnectAsync(string address, AioContext? context = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        context ??= AioContext.Default;
        IActorRef backlog;
        try
        {
            backlog = await context.Primitives.CreatePrimitiveAsync(PrimitiveHost.Kind.Listener, name: address, findOnly: true, ct: ct).ConfigureAwait(false);
        }
        catch (SynchronizationLockException ex)
        {
            throw new IOException($"Connection refused: no listener at '{address}'.", ex);
        }

        var (mine, theirs) = await AioPipe.CreateAsync(duplex: true, context, ct).ConfigureAwait(false);
        var channel = context.Ledger.QueueChannelOf(backlog);
        channel.Writer.KnowMaxSize(0);
        await channel.Writer.PutAsync([context.Payloads.Serialize(theirs, "The connection", nameof(address))], WaitProtocol.Infinite, ct).ConfigureAwait(false);
        await channel.Writer.FlushAsync(ct).ConfigureAwait(false);
        // The listener's end is the listener's now (it travels held in transit until accepted): this process lets its copy go.
        await theirs.CloseAsync().ConfigureAwait(false);
        return mine;
    }
}
