using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;

namespace AioProcessing;

/// <summary>
/// A named endpoint that connections are accepted on, as Python's <c>multiprocessing.connection.Listener</c>:
/// any process joined to the coordinator can <see cref="AioClient.Connect"/> to its <see cref="Address"/>.
/// </summary>
public sealed class AioListener : IDisposable, IAsyncDisposable
{
    private readonly AioQueue<AioConnection> _backlog;

    /// <summary>Listens on <paramref name="address"/>, a name unique in the coordinator (a new one when null).</summary>
    /// <param name="address">The name clients connect to.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="IOException">The address is in use: another listener (or a primitive) has that name, as Python's OSError (EADDRINUSE). A closed listener's address can be listened on again.</exception>
    public AioListener(string? address = null, AioContext? context = null)
    {
        Address = address ?? "listener-" + Guid.NewGuid().ToString("N");
        _backlog = AioQueue<AioConnection>.Exclusive(Address, PrimitiveHost.Kind.Listener, context);
    }

    /// <summary>The name clients connect to.</summary>
    public string Address { get; }

    /// <summary>Waits for a client and returns this side's end of its connection.</summary>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Stops waiting and throws <see cref="OperationCanceledException"/>; no client is lost.</param>
    /// <exception cref="TimeoutException">No client within <paramref name="timeout"/>.</exception>
    /// <exception cref="ObjectDisposedException">The listener was closed.</exception>
    public AioConnection Accept(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => AcceptAsync(timeout, ct));

    /// <inheritdoc cref="Accept"/>
    public async Task<AioConnection> AcceptAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        try
        {
            return await _backlog.GetAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (QueueEmptyException ex)
        {
            throw new TimeoutException($"No client connected within {timeout}.", ex);
        }
        catch (QueueCompletedException ex)
        {
            throw new ObjectDisposedException($"The listener '{Address}' was closed.", ex);
        }
    }

    /// <summary>Stops listening: clients that were not accepted see their connection closed.</summary>
    public void Close() => Blocking.Wait(CloseAsync);

    /// <inheritdoc cref="Close"/>
    public async Task CloseAsync()
    {
        await _backlog.CompleteAsync().ConfigureAwait(false);
        await foreach (var pending in _backlog.ReadAllAsync().ConfigureAwait(false))
        {
            await pending.CloseAsync().ConfigureAwait(false);
        }

        // The address is free again; clients connecting from now on are refused until someone listens on it.
        var context = _backlog.Context;
        await context.Link.AskAsync<WaitProtocol.Ack>(context.Primitives.Host, new PrimitiveHost.Unname(CoordinatorLink.NextId(), Address, _backlog.Actor), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Closes the listener (<see cref="Close"/>).</summary>
    public void Dispose() => Close();

    /// <summary>Closes the listener (<see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);
}
