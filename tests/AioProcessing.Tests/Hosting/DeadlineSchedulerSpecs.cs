using System.Diagnostics;
using AioProcessing.Node.Hosting;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Xunit;

namespace AioProcessing.Tests.Hosting;

/// <summary>
/// The nodes' scheduler: repeating tasks of whole-second intervals fire together on whole seconds of the host's
/// monotonic clock (one wake-up a second for an idle node's periodic work); other deadlines are never moved.
/// </summary>
public sealed class DeadlineSchedulerSpecs
{
    private static readonly long Second = Stopwatch.Frequency;

    [Theory]
    [InlineData(1_000)]
    [InlineData(4_000)]
    public void A_repeating_task_of_whole_seconds_is_moved_to_the_next_whole_second_and_never_earlier(int intervalMs)
    {
        var interval = TimeSpan.FromMilliseconds(intervalMs);
        foreach (var offset in new[] { 1L, Second / 3, Second - 1 })
        {
            var deadline = (100 * Second) + offset;
            Assert.Equal(101 * Second, DeadlineScheduler.Aligned(deadline, interval));
        }

        // Already on a whole second: it stays there.
        Assert.Equal(100 * Second, DeadlineScheduler.Aligned(100 * Second, interval));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    [InlineData(1_500)]
    public void One_off_deadlines_and_other_intervals_are_not_moved(int intervalMs)
    {
        var deadline = (100 * Second) + (Second / 3);
        Assert.Equal(deadline, DeadlineScheduler.Aligned(deadline, TimeSpan.FromMilliseconds(intervalMs)));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_running_scheduler_moves_a_one_second_task_to_whole_seconds_and_runs_a_one_off_task_when_due()
    {
        using var scheduler = new DeadlineScheduler(ConfigurationFactory.Empty, NoLogger.Instance);
        IActionScheduler actions = scheduler;

        // Scheduled 0.6-0.7 s into a second: left where it was, a task due a second later would run 0.6 s or more
        // into that second; moved to the whole second, it runs at its start (plus this machine's wake-up delay).
        SpinWait.SpinUntil(() => Stopwatch.GetTimestamp() % Second is var into && into >= Second * 6 / 10 && into < Second * 7 / 10);
        var fired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var repeating = new Cancelable(actions);
        actions.ScheduleRepeatedly(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), () => fired.TrySetResult(Stopwatch.GetTimestamp()), repeating);
        var once = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduledAt = Stopwatch.GetTimestamp();
        actions.ScheduleOnce(TimeSpan.FromMilliseconds(50), () => once.TrySetResult(Stopwatch.GetTimestamp()));

        var firstRun = await fired.Task.WaitAsync(TimeSpan.FromSeconds(20));
        repeating.Cancel();
        var intoSecond = TimeSpan.FromSeconds((firstRun % Second) / (double)Second);
        Assert.True(intoSecond < TimeSpan.FromMilliseconds(550), $"the one-second task ran {intoSecond.TotalMilliseconds:F0} ms into a second, not at its start");
        Assert.True(firstRun - scheduledAt >= Second, "the one-second task ran before its first second had passed");

        // A one-off deadline is kept: due after 50 ms, it runs then, not on a whole second.
        var onceRun = await once.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(onceRun >= scheduledAt + (Second / 20));
        Assert.True(onceRun < firstRun, "the 50 ms task waited for the whole second");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_task_due_never_neither_runs_at_once_nor_stops_the_scheduler()
    {
        using var scheduler = new DeadlineScheduler(ConfigurationFactory.Empty, NoLogger.Instance);
        IActionScheduler actions = scheduler;
        var never = 0;
        actions.ScheduleOnce(TimeSpan.MaxValue, () => Interlocked.Increment(ref never));
        actions.ScheduleOnce(TimeSpan.FromDays(30), () => Interlocked.Increment(ref never));

        // Due first in deadline order: had "never" wrapped into the past, it would have run before this one.
        var soon = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        actions.ScheduleOnce(TimeSpan.FromMilliseconds(10), () => soon.TrySetResult());
        await soon.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, Volatile.Read(ref never));

        // With only far deadlines left the scheduler waited on them: it is still there to run the next task.
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        actions.ScheduleOnce(TimeSpan.FromMilliseconds(10), () => next.TrySetResult());
        await next.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, Volatile.Read(ref never));
        Assert.Equal(long.MaxValue, DeadlineScheduler.After(Stopwatch.GetTimestamp(), TimeSpan.MaxValue));
    }
}
