namespace AioProcessing.Internal;

/// <summary>
/// What the node program's <c>join</c> command runs: join the coordinator, say so on its output, and serve the pool
/// with some task slots until the pool closes or the program is stopped. Found by name by the node program, which
/// cannot reference this assembly.
/// </summary>
public static class PoolNode
{
    /// <summary>Serves the pool <paramref name="pool"/> of the coordinator at <paramref name="coordinator"/>; returns the exit code.</summary>
    /// <param name="coordinator">The coordinator's address.</param>
    /// <param name="secret">The coordinator's secret.</param>
    /// <param name="pool">The pool's name.</param>
    /// <param name="slots">How many tasks run at once.</param>
    /// <param name="output">Where the node says it serves (<c>SERVING name slots</c>).</param>
    /// <param name="ct">Stops serving after the chunks at hand.</param>
    public static async Task<int> ServeAsync(string coordinator, string secret, string pool, int slots, TextWriter output, CancellationToken ct)
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
}
