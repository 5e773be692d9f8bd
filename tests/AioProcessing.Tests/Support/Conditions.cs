namespace AioProcessing.Tests.Support;

/// <summary>Waiting for a condition instead of for a length of time.</summary>
internal static class Conditions
{
    /// <summary>
    /// Completes once <paramref name="condition"/> holds, checking it again after each check completes (a check that
    /// asks the coordinator is one round trip); throws <see cref="OperationCanceledException"/> after
    /// <see cref="Bounds.Remote"/>.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(Bounds.Remote);
        while (!condition())
        {
            await Task.Yield();
            bound.Token.ThrowIfCancellationRequested();
        }
    }
}
