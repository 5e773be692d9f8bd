using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// The executor of every dispatcher in a node (<c>aio.primitive-dispatcher</c> and Akka's default, internal and
/// remote dispatchers): dedicated threads, none from the .NET thread pool, that sleep as soon as they run out of work.
/// Akka's <c>fork-join-executor</c> spins up to 50 <c>Thread.Sleep(0)</c>s per idle thread after every task; with a
/// heartbeat or a timer tick every few hundred milliseconds that spinning alone kept an idle worker near 1% of a core.
/// With <c>inline-lane-requests = on</c> (the primitives' dispatcher), a lane's reader thread that hands a primitive
/// a request runs that actor's mailbox itself when the actor is idle, and the answer is written back on the lane by
/// the same thread, instead of waking a dispatcher thread to do it: each thread wake-up on the path of a call costs
/// several microseconds here. Running a local caller's request on its own thread was measured too, and was slower:
/// a release told without an answer then no longer runs beside the caller's next step. With
/// <c>chain-on-running-thread = on</c> (remoting's dispatcher), work a running task schedules waits for that task's
/// thread instead of waking the other one: a heartbeat read, answered and written took a wake-up per hop.
/// </summary>
internal sealed class DedicatedThreadExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly int _threads;
    private readonly bool _inlineLaneRequests;
    private readonly bool _chainOnRunningThread;

    /// <summary>
    /// Reads <c>thread-count</c> (default 2), <c>inline-lane-requests</c> (default off) and
    /// <c>chain-on-running-thread</c> (default off).
    /// </summary>
    public DedicatedThreadExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        ArgumentNullException.ThrowIfNull(config);
        _threads = Math.Max(1, config.GetInt("thread-count", 2));
        _inlineLaneRequests = config.GetBoolean("inline-lane-requests", false);
        _chainOnRunningThread = config.GetBoolean("chain-on-running-thread", false);
    }

    /// <inheritdoc />
    public override ExecutorService Produce(string id) => new DedicatedThreadExecutor(id, _threads, _inlineLaneRequests, _chainOnRunningThread);
}

/// <summary>Runs work on dedicated threads that block when idle; optionally on the lane reader thread that scheduled it.</summary>
internal sealed class DedicatedThreadExecutor : ExecutorService
{
    [ThreadStatic]
    private static bool t_laneReader;

    [ThreadStatic]
    private static bool t_running;

    // The executor whose thread this is, and whether the task it runs scheduled work that woke nobody.
    [ThreadStatic]
    private static DedicatedThreadExecutor? t_owner;

    [ThreadStatic]
    private static bool t_wakeDeferred;

    private readonly ConcurrentQueue<IRunnable> _work = new();

    // Idle threads wait on this monitor. Not a SemaphoreSlim: it spins about 140 times, mostly sched_yield, before
    // it blocks, and so does every idle thread after every task.
    private readonly object _gate = new();
    private readonly bool _inlineLaneRequests;
    private readonly bool _chainOnRunningThread;
    private int _sleepers;
    private volatile bool _stopped;

    public DedicatedThreadExecutor(string id, int threads, bool inlineLaneRequests, bool chainOnRunningThread = false)
        : base(id)
    {
        _inlineLaneRequests = inlineLaneRequests;
        _chainOnRunningThread = chainOnRunningThread;
        for (var i = 0; i < threads; i++)
        {
            new Thread(Work) { Name = $"{id}-{i}", IsBackground = true }.Start();
        }
    }

    /// <summary>Marks the calling thread as a lane reader for its lifetime: mailboxes it schedules may run on it.</summary>
    public static void MarkLaneReader() => t_laneReader = true;

    /// <inheritdoc />
    public override void Execute(IRunnable run)
    {
        // Only one level deep: a mailbox that, while running here, schedules another (or itself again, with more
        // messages than its throughput) hands that on, so the reader goes back to its socket within one batch.
        if (_inlineLaneRequests && t_laneReader && !t_running)
        {
            t_running = true;
            try
            {
                run.Run();
            }
            finally
            {
                t_running = false;
            }

            return;
        }

        _work.Enqueue(run);
        if (_chainOnRunningThread && t_owner == this)
        {
            // Scheduled by a task of this executor (an actor telling the next on the same dispatcher): the thread
            // comes back to the queue when that task ends, and wakes another only if it finds more than it takes.
            t_wakeDeferred = true;
            return;
        }

        // A full fence on each side: between publishing the work and reading the sleepers here, and a sleeper's
        // increment before it looks for work. Either this sees the sleeper, or the sleeper sees the work before it
        // waits. (Enqueue publishes with a release store, which a later load may pass: without the fence here a
        // wake-up could be lost and the work wait for the next Execute.)
        Interlocked.MemoryBarrier();
        WakeOne();
    }

    /// <inheritdoc />
    public override void Shutdown()
    {
        _stopped = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    private void WakeOne()
    {
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    private void Work()
    {
        t_owner = this;
        while (!_stopped)
        {
            if (_work.TryDequeue(out var run))
            {
                run.Run();
                if (t_wakeDeferred)
                {
                    // This thread takes the next task itself; more than one waiting is work for another thread.
                    t_wakeDeferred = false;
                    Interlocked.MemoryBarrier();
                    if (_work.Count > 1)
                    {
                        WakeOne();
                    }
                }

                continue;
            }

            // A few microseconds of pure spinning (no yields) catch the next task of a busy sender cheaply.
            var spinner = default(SpinWait);
            while (_work.IsEmpty && !spinner.NextSpinWillYield)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            if (!_work.IsEmpty)
            {
                continue;
            }

            lock (_gate)
            {
                Interlocked.Increment(ref _sleepers);
                try
                {
                    if (_work.IsEmpty && !_stopped)
                    {
                        Monitor.Wait(_gate);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _sleepers);
                }
            }
        }
    }
}
