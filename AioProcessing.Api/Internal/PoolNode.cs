namespace AioProcessing.Internal;

/// <summary>
/// What <c>AioProcessing.Node.dll join-pool</c> runs: join the coordinator, say so on standard output, and serve the
/// pool until it closes or the program is stopped. Found by name by the node program, which cannot reference this
/// assembly.
/// </summary>
public static class PoolNode
{
    /// <summary>Serves the pool <paramref name="pool"/> of the coordinator at <paramref name="coordinator"/>; returns the exit code.</summary>
    /// <param name="coordinator">The coordinator's address.</param>
    /// <param name="secret">The coordinator's secret.</param>
    /// <param name="pool">The pool's name.</param>
    /// <param name="ct">Stops serving after the chunk at hand.</param>
    public static async Task<int> ServeAsync(string coordinator, string secret, string pool, CancellationToken ct)
    {
        await using var context = await AioContext.ConnectAsync(coordinator, secret, ct: ct).ConfigureAwait(false);
        Console.WriteLine($"SERVING {pool}");
        try
        {
            // Waiting for work is not cancellable at the scheduler; stopping leaves that wait to the context's disposal.
            await AioPool.ServeAsync(context, pool, ct).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        return 0;
    }
}
