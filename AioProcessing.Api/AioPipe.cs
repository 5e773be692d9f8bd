using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;

namespace AioProcessing;

/// <summary>Creates pipes, as Python's <c>multiprocessing.Pipe</c>.</summary>
public static class AioPipe
{
    /// <summary>
    /// Creates a pipe and returns its two ends. Duplex (the default): each end sends to and receives from the other.
    /// Otherwise, as Python's <c>Pipe(False)</c>: the first end only receives, the second only sends. Each end may be
    /// passed to another process.
    /// </summary>
    /// <param name="duplex">Whether both ends send and receive.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    public static (AioConnection First, AioConnection Second) Create(bool duplex = true, AioContext? context = null) =>
        Blocking.Wait(() => CreateAsync(duplex, context));

    /// <inheritdoc cref="Create"/>
    public static async Task<(AioConnection First, AioConnection Second)> CreateAsync(bool duplex = true, AioContext? context = null, CancellationToken ct = default)
    {
        context ??= AioContext.Default;
        var toFirst = await context.Primitives.CreatePrimitiveAsync(PrimitiveHost.Kind.PipeChannel, ct: ct).ConfigureAwait(false);
        if (!duplex)
        {
            return (new AioConnection(context, send: null, receive: toFirst), new AioConnection(context, send: toFirst, receive: null));
        }

        var toSecond = await context.Primitives.CreatePrimitiveAsync(PrimitiveHost.Kind.PipeChannel, ct: ct).ConfigureAwait(false);
        return (new AioConnection(context, send: toSecond, receive: toFirst), new AioConnection(context, send: toFirst, receive: toSecond));
    }
}
