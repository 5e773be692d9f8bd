namespace AioProcessing.Tests.Support;

/// <summary>Waiting for a condition instead of for a length of time.</summary>
internal static class Conditions
{
    /// <summary>
    /// Completes once <paramref name="condition"/> holds, checking it every few milliseconds; after
    /// <see cref="Bounds.Remote"/> fails with <paramref name="failure"/>'s message when given, else throws
    /// <see cref="OperationCanceledException"/>. Not checked back to back: on two cores a spec that polls without
    /// pause takes a whole core from the processes it waits for (and from every other spec's coordinator in this
    /// process).
    /// </summary>
    public static Task UntilAsync(Func<bool> condition, Func<string>? failure = null) =>
        UntilAsync(() => Task.FromResult(condition()), failure);

    /// <summary>As <see cref="UntilAsync(Func{bool}, Func{string}?)"/>, for a condition that asks something (an actor) to find out.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string>? failure = null)
    {
        // One bound for the whole wait, the condition's own asking included.
        using var bound = new CancellationTokenSource(Bounds.Remote);
        while (true)
        {
            try
            {
                if (await condition().WaitAsync(bound.Token))
                {
                    return;
                }

                await Task.Delay(PollInterval, bound.Token);
            }
            catch (OperationCanceledException) when (failure is not null && bound.IsCancellationRequested)
            {
                Xunit.Assert.Fail(failure());
            }
        }
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
}
