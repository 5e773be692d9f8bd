using AioProcessing.Node.Cli;

[assembly: PoolServer(typeof(AioProcessing.Internal.PoolNode))]

namespace AioProcessing.Internal;

/// <summary>
/// What the node program's <c>join</c> command runs: join the coordinator, say so on its output, and serve the pool
/// with some task slots until the pool closes or the program is stopped. Named to the node program, which cannot
/// reference this assembly, by the <see cref="PoolServerAttribute"/> above.
/// </summary>
internal sealed class PoolNode : IPoolServer
{
    /// <inheritdoc />
    public async Task<int> ServeAsync(string coordinator, string secret, string pool, int slots, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var context = await AioContext.ConnectAsync(coordinator, secret, ct: ct).ConfigureAwait(false);
        var serving = AioPool.ServeAsync(context, pool, slots, ct);
        await output.WriteLineAsync($"SERVING {pool} {slots}").ConfigureAwait(false);
        await output.FlushAsync(ct).ConfigureAwait(false);
        try
        {
            // Waiting for work is not cancellable at the scheduler; stopping leaves that wait to the context's disposal.
            await serving.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        return 0;
    }

    /// <inheritdoc />
    public bool IsCoordinatorLost(Exception error) => error is CoordinatorLostException;
}
