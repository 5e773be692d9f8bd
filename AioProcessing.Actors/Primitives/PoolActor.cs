using AioProcessing.Actors.Diagnostics;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// The scheduler of a process pool. Owners <see cref="Submit"/> chunks (an encoded call each); worker processes
/// <see cref="Pull"/> the next chunk when idle (no static assignment), reporting the previous one's result in the
/// same message. Each chunk's result goes back to its owner as the one answer to its submit
/// (<see cref="ChunkDone"/>). When a worker's process dies, the chunk it was running goes back to the front, up to
/// <c>maxRetries</c> times, after which its owner gets <see cref="ChunkStatus.Lost"/>; and when chunks wait while no
/// worker at all serves the pool for <c>aio.pool.no-worker-timeout</c> (a named pool whose joined workers are all
/// gone), they fail with <see cref="ChunkStatus.NoWorker"/>: the pool never hangs. A worker that joins later serves
/// what is submitted after that.
/// </summary>
public sealed partial class PoolActor : PrimitiveActor
{
    private readonly int _maxRetries;
    private readonly LinkedList<Chunk> _pending = new();
    private readonly Dictionary<long, LinkedListNode<Chunk>> _pendingById = [];
    private readonly Dictionary<long, (Address Worker, Chunk Chunk)> _running = [];
    private const int MaxHand = 64;

    private readonly WaitQueue<int> _idle;
    private readonly TimeSpan _noWorkerTimeout;
    private bool _closing;
    private bool _watchingForWorkers;

    // Task counts beside the chunk collections, for the metrics' levels (read from the listener's thread).
    private int _pendingTasks;
    private int _runningTasks;

    /// <summary>Creates a pool that runs a chunk again at most <paramref name="maxRetries"/> times after its worker died.</summary>
    public PoolActor(int maxRetries)
    {
        _maxRetries = maxRetries;
        _idle = NewWaitQueue<int>();
        _noWorkerTimeout = Context.System.Settings.Config.GetTimeSpan("aio.pool.no-worker-timeout", TimeSpan.FromSeconds(30), allowInfinite: false);
        Receive<Submit>(OnSubmit);
        Receive<NoWorkerTimeout>(_ => FailIfNoWorker());
        Receive<Pull>(OnPull);
        Receive<Load>(m => Sender.Tell(new LoadReply(m.RequestId, _pendingTasks, _runningTasks, _idle.Count, _closing)));
        Receive<Close>(m =>
        {
            _closing = true;
            StopIdleWorkersIfDone();
            WaitProtocol.Acknowledge(Sender, m.RequestId);
        });
        Receive<Terminate>(m =>
        {
            _closing = true;
            foreach (var chunk in _pending.Concat(_running.Values.Select(r => r.Chunk)).ToList())
            {
                chunk.Owner.Tell(ChunkDone.Failure(chunk.RequestId, ChunkStatus.Terminated, "", "the pool was terminated before this task finished", ""));
            }

            _pending.Clear();
            _pendingById.Clear();
            _running.Clear();
            _pendingTasks = _runningTasks = 0;
            StopIdleWorkersIfDone();
            WaitProtocol.Acknowledge(Sender, m.RequestId);
        });
    }

    /// <summary>Props for a pool actor.</summary>
    public static Props Props(int maxRetries) => Akka.Actor.Props.Create(() => new PoolActor(maxRetries));

    /// <summary>How a chunk ended.</summary>
    public enum ChunkStatus : byte
    {
        /// <summary>It ran; the result is its encoded return value.</summary>
        Ok = 0,

        /// <summary>It threw; the error fields describe the exception.</summary>
        Error = 1,

        /// <summary>Its worker died more often than the retries allow.</summary>
        Lost = 2,

        /// <summary>Withdrawn by its owner before it started.</summary>
        Cancelled = 3,

        /// <summary>The pool was terminated first.</summary>
        Terminated = 4,

        /// <summary>No worker process served the pool for <c>aio.pool.no-worker-timeout</c> while it waited.</summary>
        NoWorker = 5,
    }

    /// <summary>Ask how loaded the pool is. Answered by <see cref="LoadReply"/>.</summary>
    public sealed record Load(long RequestId) : IAioRequest;

    /// <summary>Tasks waiting for a worker, tasks running, workers waiting for work, and whether the pool is closing.</summary>
    public sealed record LoadReply(long RequestId, int PendingTasks, int RunningTasks, int IdleWorkers, bool Closing) : IAioReply;

    /// <summary>Queue a chunk of <paramref name="Tasks"/> tasks, encoded as one call. Answered by <see cref="ChunkDone"/>.</summary>
    /// <param name="RequestId">The request's id, which the chunk's <see cref="ChunkDone"/> carries.</param>
    /// <param name="Tasks">How many tasks the chunk holds.</param>
    /// <param name="Call">The encoded call that runs them.</param>
    /// <param name="TraceParent">
    /// The W3C <c>traceparent</c> of the activity the chunk was submitted under (<see cref="System.Diagnostics.Activity.Id"/>),
    /// or null: the worker that runs the chunk records its span as that activity's child. A pool's facade fills it in
    /// from <see cref="System.Diagnostics.Activity.Current"/>; actor code may pass its own.
    /// </param>
    /// <param name="TraceState">The W3C <c>tracestate</c> that goes with <paramref name="TraceParent"/> (<see cref="System.Diagnostics.Activity.TraceStateString"/>), or null.</param>
    public sealed record Submit(long RequestId, int Tasks, byte[] Call, string? TraceParent = null, string? TraceState = null) : IAioRequest;

    /// <summary>The end of one chunk.</summary>
    public sealed record ChunkDone(long RequestId, ChunkStatus Status, byte[] Result, string ErrorType, string ErrorMessage, string ErrorStack) : IAioReply
    {
        /// <summary>A chunk that did not produce a result.</summary>
        public static ChunkDone Failure(long requestId, ChunkStatus status, string type, string message, string stack) => new(requestId, status, [], type, message, stack);
    }

    /// <summary>
    /// From a worker: the chunks in <paramref name="Done"/> ended, and, unless <paramref name="RequestId"/> is
    /// <see cref="WaitProtocol.NoReply"/> (the worker leaves), it wants more, at most <paramref name="Capacity"/> tasks
    /// (0: no limit; at least one chunk is handed anyway): answered by <see cref="Work"/>.
    /// </summary>
    public sealed record Pull(long RequestId, ChunkDone[] Done, int Capacity = 0) : IAioRequest;

    /// <summary>One chunk to run; its id is its owner's request id.</summary>
    /// <param name="ChunkId">The chunk's id: its owner's request id.</param>
    /// <param name="Tasks">How many tasks the chunk holds.</param>
    /// <param name="Call">The encoded call that runs them.</param>
    /// <param name="TraceParent">The trace context the chunk was submitted with (<see cref="Submit.TraceParent"/>), or null.</param>
    /// <param name="TraceState">The <c>tracestate</c> that goes with <paramref name="TraceParent"/>, or null.</param>
    public sealed record WorkItem(long ChunkId, int Tasks, byte[] Call, string? TraceParent = null, string? TraceState = null);

    /// <summary>
    /// Chunks to run, in order: one, or, when many are waiting, a share of them (so small tasks do not cost a round
    /// trip each). None: the order to stop.
    /// </summary>
    public sealed record Work(long RequestId, WorkItem[] Items) : IAioReply;

    /// <summary>No more submits: workers are told to stop once every chunk ran. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Close(long RequestId) : IAioRequest;

    /// <summary>Every chunk not finished fails with <see cref="ChunkStatus.Terminated"/>; idle workers stop. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Terminate(long RequestId) : IAioRequest;

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome)
    {
        // A cancelled submit that has not started is dropped; one that runs finishes and answers normally.
        if (outcome == WaitProtocol.Outcome.Cancelled && _pendingById.Remove(requestId, out var node))
        {
            _pending.Remove(node);
            _pendingTasks -= node.Value.Tasks;
            node.Value.Owner.Tell(ChunkDone.Failure(requestId, ChunkStatus.Cancelled, "", "cancelled before it started", ""));
            StopIdleWorkersIfDone();
        }
        else
        {
            _idle.Withdraw(requestId, outcome, Self);
            WatchForWorkers();
        }
    }

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
        _idle.WithdrawFrom(node);
        // An owner that is gone wants nothing more.
        foreach (var chunk in _pending.Where(c => c.Owner.Path.Address == node).ToList())
        {
            _pending.Remove(_pendingById[chunk.RequestId]);
            _pendingById.Remove(chunk.RequestId);
            _pendingTasks -= chunk.Tasks;
        }

        foreach (var (id, (worker, chunk)) in _running.Where(r => r.Value.Worker == node).ToList())
        {
            _running.Remove(id);
            _runningTasks -= chunk.Tasks;
            if (chunk.Owner.Path.Address == node)
            {
                continue;
            }

            if (chunk.Attempts >= _maxRetries)
            {
                chunk.Owner.Tell(ChunkDone.Failure(id, ChunkStatus.Lost, "", $"its worker process died {chunk.Attempts + 1} times while running it", ""));
            }
            else
            {
                // First again: it was the oldest work when it was handed out.
                _pendingById[id] = _pending.AddFirst(chunk with { Attempts = chunk.Attempts + 1 });
                _pendingTasks += chunk.Tasks;
                Instruments.PoolTasksRetried.Add(chunk.Tasks, MetricTags);
            }
        }

        Dispatch();
        StopIdleWorkersIfDone();
        WatchForWorkers();
    }

    private void OnSubmit(Submit submit)
    {
        if (_closing)
        {
            WaitProtocol.Fail(Sender, submit.RequestId, WaitProtocol.FailureKind.Invalid, "the pool is closed: no more tasks may be submitted", Context);
            return;
        }

        _pendingById[submit.RequestId] = _pending.AddLast(new Chunk(submit.RequestId, submit.Tasks, submit.Call, Sender, 0, submit.TraceParent, submit.TraceState));
        _pendingTasks += submit.Tasks;
        Dispatch();
        WatchForWorkers();
    }

    /// <inheritdoc />
    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        AssertInvariants();
        return handled;
    }

    private protected override IEnumerable<(string Instrument, Func<long> Read)> Levels =>
        [("aio.pool.tasks.queued", () => _pendingTasks), ("aio.pool.tasks.running", () => _runningTasks)];

    private void OnPull(Pull pull)
    {
        foreach (var done in pull.Done)
        {
            if (_running.Remove(done.RequestId, out var ran))
            {
                _runningTasks -= ran.Chunk.Tasks;
                Instruments.PoolTasksDone.Add(ran.Chunk.Tasks, MetricTags);
                ran.Chunk.Owner.Tell(done);
            }
        }

        if (pull.RequestId == WaitProtocol.NoReply)
        {
            StopIdleWorkersIfDone();
            WatchForWorkers();
            return;
        }

        // A worker asks for work: whatever waited for one need not fail.
        if (_watchingForWorkers)
        {
            _watchingForWorkers = false;
            Timers.Cancel(nameof(NoWorkerTimeout));
        }

        if (_pending.First is not null)
        {
            Hand(Sender, pull.RequestId, pull.Capacity);
        }
        else if (_closing && _running.Count == 0)
        {
            Sender.Tell(new Work(pull.RequestId, []));
        }
        else
        {
            _idle.Enqueue(pull.RequestId, Sender, pull.Capacity, WaitProtocol.Infinite);
            StopIdleWorkersIfDone();
        }
    }

    private void Dispatch()
    {
        while (_pending.First is not null && _idle.TryDequeue(out var worker))
        {
            Hand(worker.ReplyTo, worker.RequestId, worker.State);
        }
    }

    // Pull-based: one chunk, or when many wait, a share small enough that the other workers still get theirs
    // (a quarter of what waits, at most MaxHand), so that a stream of tiny tasks does not cost a round trip each.
    private void Hand(IActorRef worker, long pullId, int capacity)
    {
        var share = Math.Clamp(_pending.Count / 4, 1, MaxHand);
        var items = new List<WorkItem>(share);
        var tasks = 0;
        long bytes = 0;
        while (items.Count < share && _pending.First is { } first
            && (items.Count == 0 || ((capacity <= 0 || tasks + first.Value.Tasks <= capacity) && bytes + first.Value.Call.Length <= QueueActor.BatchBytes)))
        {
            var chunk = first.Value;
            _pending.RemoveFirst();
            _pendingById.Remove(chunk.RequestId);
            _running[chunk.RequestId] = (worker.Path.Address, chunk);
            _pendingTasks -= chunk.Tasks;
            _runningTasks += chunk.Tasks;
            items.Add(new WorkItem(chunk.RequestId, chunk.Tasks, chunk.Call, chunk.TraceParent, chunk.TraceState));
            tasks += chunk.Tasks;
            bytes += chunk.Call.Length;
        }

        worker.Tell(new Work(pullId, [.. items]));
    }

    // Chunks wait and no worker serves the pool (none idle, none running a chunk): start the clock, once.
    private void WatchForWorkers()
    {
        if (!_watchingForWorkers && _pending.Count > 0 && _running.Count == 0 && _idle.Count == 0)
        {
            _watchingForWorkers = true;
            Timers.StartSingleTimer(nameof(NoWorkerTimeout), NoWorkerTimeout.Instance, _noWorkerTimeout);
        }
    }

    private void FailIfNoWorker()
    {
        _watchingForWorkers = false;
        if (_running.Count > 0 || _idle.Count > 0)
        {
            return;
        }

        var why = $"no worker process served the pool for {_noWorkerTimeout.TotalSeconds:0.#} s while it waited (aio.pool.no-worker-timeout)";
        foreach (var chunk in _pending)
        {
            chunk.Owner.Tell(ChunkDone.Failure(chunk.RequestId, ChunkStatus.NoWorker, "", why, ""));
        }

        _pending.Clear();
        _pendingById.Clear();
        _pendingTasks = 0;
        StopIdleWorkersIfDone();
    }

    private void StopIdleWorkersIfDone()
    {
        if (_closing && _pending.Count == 0 && _running.Count == 0)
        {
            while (_idle.TryDequeue(out var worker))
            {
                worker.ReplyTo.Tell(new Work(worker.RequestId, []));
            }
        }
    }

    // The task counts kept beside the chunk collections (for the metrics and Load) agree with them.
    [System.Diagnostics.Conditional("DEBUG")]
    private void AssertInvariants()
    {
        System.Diagnostics.Debug.Assert(_pendingTasks == _pending.Sum(c => c.Tasks), "pending task count");
        System.Diagnostics.Debug.Assert(_runningTasks == _running.Values.Sum(r => r.Chunk.Tasks), "running task count");
        System.Diagnostics.Debug.Assert(_pendingById.Count == _pending.Count, "pending index");
    }

    // The trace context travels with the chunk to whichever worker runs it, a retry's included.
    private sealed record Chunk(long RequestId, int Tasks, byte[] Call, IActorRef Owner, int Attempts, string? TraceParent, string? TraceState);

    // Sent by this actor's own timer, never over the wire.
    private sealed class NoWorkerTimeout
    {
        public static readonly NoWorkerTimeout Instance = new();
    }
}
