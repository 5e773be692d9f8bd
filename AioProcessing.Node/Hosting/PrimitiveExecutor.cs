using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// The primitives' executor (<c>aio.primitive-dispatcher</c>). A lane's reader thread that hands a primitive a request
/// runs that actor's mailbox itself when the actor is idle, and the answer is written back on the lane by the same
/// thread, instead of waking a dispatcher thread to do it: each thread wake-up on the path of a call costs several
/// microseconds here. Everything else (a nested hand-off, a message told by a caller in this process, a timer or
/// Akka.Remote) runs on the executor's own dedicated threads, none from the .NET thread pool. Running a local
/// caller's request on its own thread was measured too, and was slower: a release told without an answer then no
/// longer runs beside the caller's next step.
/// </summary>
internal sealed class PrimitiveExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly int _threads;

    /// <summary>Reads <c>thread-count</c> from the dispatcher's configuration (default 2).</summary>
    public PrimitiveExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        ArgumentNullException.ThrowIfNull(config);
        _threads = Math.Max(1, config.GetInt("thread-count", 2));
    }

    /// <inheritdoc />
    public override ExecutorService Produce(string id) => new PrimitiveExecutor(id, _threads);
}

/// <summary>Runs a mailbox on the lane reader thread that scheduled it when it may, on dedicated threads otherwise.</summary>
internal sealed class PrimitiveExecutor : ExecutorService
{
    [ThreadStatic]
    private static bool t_laneReader;

    [ThreadStatic]
    private static bool t_running;

    private readonly ConcurrentQueue<IRunnable> _work = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();

    public PrimitiveExecutor(string id, int threads)
        : base(id)
    {
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
        if (t_laneReader && !t_running)
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
        _signal.Release();
    }

    /// <inheritdoc />
    public override void Shutdown() => _stop.Cancel();

    private void Work()
    {
        try
        {
            while (true)
            {
                _signal.Wait(_stop.Token);
                if (_work.TryDequeue(out var run))
                {
                    run.Run();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
