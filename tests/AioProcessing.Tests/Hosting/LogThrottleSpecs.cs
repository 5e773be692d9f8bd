using AioProcessing.Node.Hosting;
using Xunit;

namespace AioProcessing.Tests.Hosting;

/// <summary>The rate limit on reports strangers can cause: one line an interval, a summary of the rest, and never a crash.</summary>
public sealed class LogThrottleSpecs
{
    [Fact(Timeout = 30_000)]
    public async Task The_first_line_of_an_interval_is_logged_and_the_rest_are_summed_up_by_reason()
    {
        var summary = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var throttle = new LogThrottle(TimeSpan.FromMilliseconds(200), line => summary.TrySetResult(line));
        Assert.True(throttle.Admit("garbage"));
        Assert.False(throttle.Admit("garbage"));
        Assert.False(throttle.Admit("garbage"));
        Assert.False(throttle.Admit("too large"));
        var line = await summary.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("3 more like it", line, StringComparison.Ordinal);
        Assert.Contains("2 × garbage", line, StringComparison.Ordinal);
        Assert.Contains("1 × too large", line, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_summary_that_cannot_be_written_is_dropped_instead_of_ending_the_process()
    {
        // The sink is gone by the time the summary is due (a disposed logger factory): the timer thread must not throw.
        var attempted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var throttle = new LogThrottle(TimeSpan.FromMilliseconds(50), _ =>
        {
            attempted.TrySetResult();
            throw new ObjectDisposedException("LoggerFactory");
        });
        throttle.Admit("refused");
        throttle.Admit("refused");
        await attempted.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // Still running, and the throttle still works afterwards.
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var other = new LogThrottle(TimeSpan.FromMilliseconds(50), _ => next.TrySetResult());
        other.Admit("x");
        other.Admit("x");
        await next.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
