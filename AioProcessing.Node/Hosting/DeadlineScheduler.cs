using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// Akka's scheduler for AioProcessing's nodes (<c>akka.scheduler.implementation</c>): one dedicated thread that sleeps
/// until the earliest deadline, instead of Akka's timer wheel, which wakes a thread-pool thread every tick
/// (<c>akka.scheduler.tick-duration</c>) whether anything is due or not, and each wake-up spins that pool's idle
/// threads. An idle node then wakes only for what is really scheduled (heartbeats, probes), and a deadline fires when
/// due rather than on the next tick. What is due runs on this thread, as on the wheel's: tells and short actions.
/// </summary>
internal sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    // Cancelled entries stay queued until their deadline; past this many entries the queue drops them, and the
    // bound doubles with what is left, so a timer restarted on every message cannot grow the queue without end.
    private const int PurgeFloor = 1024;

    private readonly object _gate = new();
    private readonly PriorityQueue<Entry, long> _queue = new();
    private readonly Thread _thread;
    // One second in Stopwatch ticks. Repeating tasks whose interval is a whole number of seconds fire on whole seconds
    // of the host's monotonic clock
    // (the clock Stopwatch reads on Linux is shared by every process of the host): the periodic work of an idle node
    // (heartbeats, the reaper, the ack check, the transport probe) then runs in one wake-up a second, at the same
    // instant in the coordinator and in each worker, not in one wake-up per task scattered across the second.
    // One-off deadlines (timeouts) are never moved.
    private static readonly long AlignGrid = Stopwatch.Frequency;

    private int _purgeAt = PurgeFloor;
    private bool _stopped;

    /// <summary>Created by the actor system from <c>akka.scheduler.implementation</c>.</summary>
    public DeadlineScheduler(Config scheduler, ILoggingAdapter log)
        : base(scheduler, log)
    {
        _thread = new Thread(Run) { Name = "aio-scheduler", IsBackground = true };
        _thread.Start();
    }

    /// <inheritdoc />
    public override TimeSpan MonotonicClock => TimeSpan.FromMilliseconds(Uptime.ElapsedMilliseconds);

    /// <inheritdoc />
    public override TimeSpan HighResMonotonicClock => Uptime.Elapsed;

    // Akka's own clock is internal; its callers compare a scheduler's clock only with itself (Inbox's deadlines).
    private static Stopwatch Uptime { get; } = Stopwatch.StartNew();

    /// <inheritdoc />
    protected override DateTimeOffset TimeNow => DateTimeOffset.UtcNow;

    /// <summary>Stops the thread; what is still queued never runs (as with Akka's wheel on termination).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _queue.Clear();
            Monitor.Pulse(_gate);
        }
    }

    /// <inheritdoc />
    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, () => receiver.Tell(message, sender), cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(initialDelay, interval, () => receiver.Tell(message, sender), cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, action, cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, action.Run, cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Add(initialDelay, interval, action, cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Add(initialDelay, interval, action.Run, cancelable);

    private static long Now => Stopwatch.GetTimestamp();

    // Saturating: a delay of TimeSpan.MaxValue (a caller's "never") must not wrap around into the past and run at once.
    internal static long After(long from, TimeSpan delay)
    {
        var span = Math.Max(0, delay.Ticks) * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond);
        return span >= long.MaxValue - from ? long.MaxValue : from + (long)span;
    }

    /// <summary>Where a task due at <paramref name="deadline"/> (Stopwatch ticks) that repeats every <paramref name="interval"/> is run.</summary>
    internal static long Aligned(long deadline, TimeSpan interval) =>
        interval >= TimeSpan.FromSeconds(1) && interval.Ticks % TimeSpan.TicksPerSecond == 0 && deadline <= long.MaxValue - AlignGrid
            ? (deadline + AlignGrid - 1) / AlignGrid * AlignGrid
            : deadline;

    // Monitor.Wait refuses more than int.MaxValue milliseconds (about 24.8 days): a later deadline is waited for a day
    // at a time, the loop looking again after each.
    private static readonly long LongestWait = Stopwatch.Frequency * 86_400;

    private void Add(TimeSpan delay, TimeSpan interval, Action action, ICancelable? cancelable)
    {
        var entry = new Entry(action, cancelable, interval);
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            var deadline = Aligned(After(Now, delay), interval);
            var wakeEarlier = !_queue.TryPeek(out _, out var first) || deadline < first;
            _queue.Enqueue(entry, deadline);
            PurgeIfLarge();
            if (wakeEarlier)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    private void PurgeIfLarge()
    {
        if (_queue.Count <= _purgeAt)
        {
            return;
        }

        var live = _queue.UnorderedItems.Where(item => item.Element.Cancelable?.IsCancellationRequested != true).ToList();
        _queue.Clear();
        foreach (var (element, deadline) in live)
        {
            _queue.Enqueue(element, deadline);
        }

        _purgeAt = Math.Max(PurgeFloor, 2 * _queue.Count);
    }

    private void Run()
    {
        while (true)
        {
            Entry due;
            lock (_gate)
            {
                while (true)
                {
                    if (_stopped)
                    {
                        return;
                    }

                    if (_queue.TryPeek(out var first, out var deadline))
                    {
                        var wait = deadline - Now;
                        if (wait <= 0)
                        {
                            _queue.Dequeue();
                            if (first.Cancelable?.IsCancellationRequested == true)
                            {
                                continue;
                            }

                            if (first.Interval > TimeSpan.Zero)
                            {
                                // Fixed rate, except that a task more than one interval late is not run again
                                // at once to catch up: a paused process never fires a burst.
                                var next = After(deadline, first.Interval);
                                _queue.Enqueue(first, next > Now ? next : Aligned(After(Now, first.Interval), first.Interval));
                            }

                            due = first;
                            break;
                        }

                        Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Ceiling(Math.Min(wait, LongestWait) * 1000.0 / Stopwatch.Frequency)));
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }
            }

            try
            {
                due.Action();
            }
            catch (Exception e)
            {
                Log.Error(e, "A scheduled task failed.");
            }
        }
    }

    private sealed record Entry(Action Action, ICancelable? Cancelable, TimeSpan Interval);
}
