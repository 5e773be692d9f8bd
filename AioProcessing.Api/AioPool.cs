using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A pool of worker processes, as Python's <c>multiprocessing.Pool</c>: <see cref="Apply{TResult}(Delegate, object?[])"/>,
/// <see cref="Map{TArg, TResult}"/>, <see cref="StarMap{T1, T2, TResult}"/>, <see cref="Imap{TArg, TResult}"/> and
/// <see cref="ImapUnordered{TArg, TResult}"/>, each with an async twin. Work is split into chunks that idle workers
/// pull from a scheduler in the coordinator (never assigned in advance). A worker killed mid-chunk is replaced and
/// its chunk runs again elsewhere, up to <c>aio.pool.max-retries</c> times, after which the call fails with
/// <see cref="WorkerLostException"/>: the pool never hangs. Functions are static methods or lambdas, sent as
/// <see cref="AioProcess"/> targets are; results come back encoded as the function's return type. A call made while
/// an activity is current carries its trace context with each chunk: a worker that listens to the
/// <c>AioProcessing</c> activity source (set up by the <c>initializer</c>) runs the chunk inside a span of that trace
/// (docs/observability.md).
/// </summary>
public sealed class AioPool : IDisposable, IAsyncDisposable
{
    private readonly AioContext _context;
    private readonly IActorRef _scheduler;
    private readonly PoolSubmitter _submitter;
    private readonly byte[]? _initializer;
    private readonly int _maxTasksPerChild;
    private readonly List<AioProcess> _workers = [];
    private readonly Lock _gate = new();
    private readonly List<Task> _supervisors = [];
    private int _state; // a PoolState, kept as an int for Interlocked

    /// <summary>Starts a pool of <paramref name="processes"/> worker processes (default: one per processor).</summary>
    /// <param name="processes">
    /// The number of workers, at least 1; or 0 for a named pool served only by nodes that join it
    /// (<see cref="ServeAsync(AioContext, string, int, CancellationToken)"/>, the node program's <c>join</c> command).
    /// </param>
    /// <param name="initializer">
    /// Runs once in each worker before its first task (with <paramref name="initargs"/>): where a worker sets itself
    /// up, its tracer provider included (docs/observability.md).
    /// </param>
    /// <param name="initargs">The initializer's arguments.</param>
    /// <param name="maxTasksPerChild">A worker that has run this many tasks (not chunks) exits and is replaced; null: never.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <param name="name">A name that lets other programs joined to the coordinator serve this pool (<see cref="ServeAsync(AioContext, string, int, CancellationToken)"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="processes"/> is less than 1 (0 for a named pool), or <paramref name="maxTasksPerChild"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The initializer or its arguments cannot be sent to another process.</exception>
    public AioPool(int? processes = null, Delegate? initializer = null, object?[]? initargs = null, int? maxTasksPerChild = null, AioContext? context = null, string? name = null)
    {
        var count = processes ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, name is null ? 1 : 0, nameof(processes));
        if (maxTasksPerChild is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxTasksPerChild));
        }

        _context = context ?? AioContext.Default;
        _maxTasksPerChild = maxTasksPerChild ?? 0;
        if (initializer is not null)
        {
            initargs ??= [];
            _initializer = _context.Payloads.SerializeCall(initializer, initargs, CallShape.Parameters(initializer), "The pool initializer");
        }

        Processes = count;
        _scheduler = _context.Primitives.CreatePrimitive(PrimitiveHost.Kind.Pool, _context.Settings.PoolMaxRetries, name: name);
        _submitter = new PoolSubmitter(_context, _scheduler, count, () => State == PoolState.Running);
        for (var i = 0; i < count; i++)
        {
            StartWorker();
        }
    }

    /// <summary>
    /// The pool's scheduler actor in the coordinator. Actor code submits a task without blocking a thread by telling
    /// it <c>new PoolActor.Submit(requestId, 1, pool.EncodeApply(func, args))</c>; the answer is a
    /// <c>PoolActor.ChunkDone</c>, read with <see cref="DecodeApply{TResult}"/> (docs/actor-protocol.md).
    /// </summary>
    public IActorRef Actor => _scheduler;

    /// <summary>Encodes one call of <paramref name="func"/> for a <c>PoolActor.Submit</c> of one task told by actor code.</summary>
    /// <param name="func">A static method or a lambda.</param>
    /// <param name="args">Its arguments.</param>
    /// <returns>The encoded call.</returns>
    /// <exception cref="ArgumentException">The function or an argument cannot be sent to another process.</exception>
    public byte[] EncodeApply(Delegate func, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(func);
        return _context.Payloads.SerializeCall(func, args ?? [null], CallShape.Parameters(func), "The task");
    }

    /// <summary>The result of a task submitted with <see cref="EncodeApply"/>, from the pool's <c>PoolActor.ChunkDone</c> answer.</summary>
    /// <typeparam name="TResult">The function's return type.</typeparam>
    /// <param name="done">The answer.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="RemoteException">The function threw.</exception>
    /// <exception cref="WorkerLostException">Its worker died more often than the retries allow.</exception>
    /// <exception cref="OperationCanceledException">The task was withdrawn (<c>WaitProtocol.Cancel</c>).</exception>
    /// <exception cref="InvalidOperationException">The pool was terminated first.</exception>
    public TResult DecodeApply<TResult>(PoolActor.ChunkDone done)
    {
        ArgumentNullException.ThrowIfNull(done);
        return _context.Payloads.Deserialize<TResult>(_submitter.ResultOf(done, "The task", default));
    }

    /// <summary>The number of worker processes the pool keeps running.</summary>
    public int Processes { get; }

    /// <summary>
    /// Serves the pool called <paramref name="name"/> from this process until the pool closes or
    /// <paramref name="ct"/> fires: how a program started by hand, on this machine or another, joins a running pool
    /// (connect with <see cref="AioContext.ConnectAsync"/> first).
    /// </summary>
    /// <param name="context">This process's context, joined to the pool's coordinator.</param>
    /// <param name="name">The pool's name.</param>
    /// <param name="ct">Stops serving after the chunk at hand.</param>
    /// <exception cref="ArgumentException">No pool has that name.</exception>
    public static Task ServeAsync(AioContext context, string name, CancellationToken ct = default) => ServeAsync(context, name, 1, ct);

    /// <summary>As <see cref="ServeAsync(AioContext, string, CancellationToken)"/>, running up to <paramref name="slots"/> tasks at once.</summary>
    /// <param name="context">This process's context, joined to the pool's coordinator.</param>
    /// <param name="name">The pool's name.</param>
    /// <param name="slots">How many tasks this process runs at once, at least 1.</param>
    /// <param name="ct">Stops serving after the chunks at hand.</param>
    /// <exception cref="ArgumentException">No pool has that name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slots"/> is less than 1.</exception>
    public static async Task ServeAsync(AioContext context, string name, int slots, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        IActorRef scheduler;
        try
        {
            scheduler = await context.Primitives.CreatePrimitiveAsync(PrimitiveHost.Kind.Pool, name: name, findOnly: true, ct: ct).ConfigureAwait(false);
        }
        catch (SynchronizationLockException ex)
        {
            throw new ArgumentException($"There is no pool named '{name}'.", nameof(name), ex);
        }

        // Each slot is a worker loop of its own, on the thread pool: CPU-bound tasks run side by side.
        await Task.WhenAll(Enumerable.Range(0, slots).Select(_ => Task.Run(() => PoolWorker.RunAsync(context, scheduler, 0, ct), CancellationToken.None))).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="func"/> with <paramref name="args"/> in a worker and returns its result (Python's <c>apply</c>).</summary>
    /// <exception cref="RemoteException">The function threw (remote type, message and stack).</exception>
    /// <exception cref="WorkerLostException">Its worker died more often than the retries allow.</exception>
    public TResult Apply<TResult>(Delegate func, params object?[] args) => Blocking.Wait(() => ApplyAsync<TResult>(func, args));

    /// <inheritdoc cref="Apply{TResult}(Delegate, object?[])"/>
    /// <param name="func">A static method or a lambda.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="ct">Withdraws the task if it has not started, and throws <see cref="OperationCanceledException"/>.</param>
    public TResult Apply<TResult>(Delegate func, object?[] args, CancellationToken ct) => Blocking.Wait(() => ApplyAsync<TResult>(func, args, ct));

    /// <inheritdoc cref="Apply{TResult}(Delegate, object?[])"/>
    /// <param name="func">A static method or a lambda.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="ct">Withdraws the task if it has not started, and throws <see cref="OperationCanceledException"/>.</param>
    public async Task<TResult> ApplyAsync<TResult>(Delegate func, object?[] args, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(func);
        var bytes = await _submitter.RunChunkAsync(EncodeApply(func, args), 1, $"Apply({func.Method.Name})", ct).ConfigureAwait(false);
        return _context.Payloads.Deserialize<TResult>(bytes);
    }

    /// <summary>Applies <paramref name="func"/> to every item and returns the results in order (Python's <c>map</c>); fails with the first error in input order.</summary>
    /// <param name="func">A static method or a lambda.</param>
    /// <param name="items">The inputs; read at once.</param>
    /// <param name="chunksize">Items per chunk; by default as CPython: ceil(n / (4 × processes)).</param>
    /// <param name="progress">Told after each chunk how many tasks are done of the total.</param>
    /// <param name="ct">Stops dispatching chunks that have not started, and throws <see cref="OperationCanceledException"/>.</param>
    public IReadOnlyList<TResult> Map<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int? chunksize = null, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        Blocking.Wait(() => MapAsync(func, items, chunksize, progress, ct));

    /// <inheritdoc cref="Map{TArg, TResult}"/>
    public Task<IReadOnlyList<TResult>> MapAsync<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int? chunksize = null, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        _submitter.MapAsync(func, items, chunksize, progress, ct);

    /// <summary>Applies <paramref name="func"/> to every pair of arguments, in order (Python's <c>starmap</c>).</summary>
    /// <inheritdoc cref="Map{TArg, TResult}" path="/param"/>
    public IReadOnlyList<TResult> StarMap<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunksize = null, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        Blocking.Wait(() => StarMapAsync(func, items, chunksize, progress, ct));

    /// <inheritdoc cref="StarMap{T1, T2, TResult}"/>
    public Task<IReadOnlyList<TResult>> StarMapAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunksize = null, IProgress<PoolProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(func);
        // The pair travels as a tuple; the worker spreads it over the function's two parameters.
        return MapAsync(PoolChunks.Spread(func), items, chunksize, progress, ct);
    }

    /// <summary>
    /// Yields the results in input order as they become ready (Python's <c>imap</c>). The input is read as the work
    /// goes, with at most 2 × processes chunks in flight, so an endless input works.
    /// </summary>
    /// <inheritdoc cref="Map{TArg, TResult}" path="/param"/>
    public IEnumerable<TResult> Imap<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int chunksize = 1, CancellationToken ct = default) =>
        Blocking.Enumerate(ImapAsync(func, items, chunksize, ct), ct);

    /// <inheritdoc cref="Imap{TArg, TResult}"/>
    public IAsyncEnumerable<TResult> ImapAsync<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int chunksize = 1, CancellationToken ct = default) =>
        _submitter.StreamAsync(func, items, chunksize, ordered: true, ct);

    /// <summary>Yields the results as they become ready, in any order (Python's <c>imap_unordered</c>); the input is read as the work goes.</summary>
    /// <inheritdoc cref="Map{TArg, TResult}" path="/param"/>
    public IEnumerable<TResult> ImapUnordered<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int chunksize = 1, CancellationToken ct = default) =>
        Blocking.Enumerate(ImapUnorderedAsync(func, items, chunksize, ct), ct);

    /// <inheritdoc cref="ImapUnordered{TArg, TResult}"/>
    public IAsyncEnumerable<TResult> ImapUnorderedAsync<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int chunksize = 1, CancellationToken ct = default) =>
        _submitter.StreamAsync(func, items, chunksize, ordered: false, ct);

    /// <summary>No more tasks may be submitted; the workers exit once every task submitted has run (Python's <c>close</c>).</summary>
    public void Close() => Blocking.Wait(CloseAsync);

    /// <inheritdoc cref="Close"/>
    public async Task CloseAsync()
    {
        if (Interlocked.CompareExchange(ref _state, (int)PoolState.Closed, (int)PoolState.Running) == (int)PoolState.Running)
        {
            await _context.Link.AskAsync<WaitProtocol.Ack>(_scheduler, new PoolActor.Close(CoordinatorLink.NextId()), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the workers at once (Python's <c>terminate</c>); tasks not finished fail with <see cref="InvalidOperationException"/>.</summary>
    public void Terminate() => Blocking.Wait(TerminateAsync);

    /// <inheritdoc cref="Terminate"/>
    public async Task TerminateAsync()
    {
        if (Interlocked.Exchange(ref _state, (int)PoolState.Terminated) == (int)PoolState.Terminated)
        {
            return;
        }

        if (!_context.IsDisposedOrLost)
        {
            await _context.Link.AskAsync<WaitProtocol.Ack>(_scheduler, new PoolActor.Terminate(CoordinatorLink.NextId()), CancellationToken.None).ConfigureAwait(false);
        }

        AioProcess[] workers;
        lock (_gate)
        {
            workers = [.. _workers];
        }

        foreach (var worker in workers)
        {
            worker.Kill();
        }

        await Task.WhenAll(workers.Select(w => w.JoinAsync(TimeSpan.FromSeconds(10)))).ConfigureAwait(false);
    }

    /// <summary>Waits until every worker exited, after <see cref="Close"/> or <see cref="Terminate"/>; false when <paramref name="timeout"/> elapsed first.</summary>
    /// <exception cref="InvalidOperationException">The pool is still running (as Python's <c>join</c>).</exception>
    public bool Join(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => JoinAsync(timeout, ct));

    /// <inheritdoc cref="Join"/>
    public async Task<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        if (State == PoolState.Running)
        {
            throw new InvalidOperationException("The pool is still running: Close or Terminate it before Join.");
        }

        Task supervisors;
        lock (_gate)
        {
            supervisors = Task.WhenAll(_supervisors);
        }

        try
        {
            await supervisors.WaitAsync(timeout ?? Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Terminates the pool, as leaving Python's <c>with Pool() as p:</c> does.</summary>
    public void Dispose() => Blocking.Wait(() => DisposeAsync().AsTask());

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await TerminateAsync().ConfigureAwait(false);
        }
        catch (CoordinatorLostException)
        {
            // The coordinator, and the pool's scheduler with it, is gone: there is nothing left to terminate.
        }
    }

    private PoolState State => (PoolState)Volatile.Read(ref _state);

    // One worker process, and its supervisor: a worker that ends while the pool runs is replaced.
    private void StartWorker()
    {
        var worker = new AioProcess(_context, PoolWorker.Run, new PoolHandle(_context, _scheduler), _initializer, _maxTasksPerChild) { Daemon = true, Name = "AioPool-worker", ComputeBound = true };
        lock (_gate)
        {
            _workers.Add(worker);
            _supervisors.Add(SuperviseAsync(worker));
        }
    }

    private async Task SuperviseAsync(AioProcess worker)
    {
        try
        {
            await worker.StartAsync().ConfigureAwait(false);
            await worker.JoinAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A worker that could not start is replaced like one that died.
        catch (Exception)
#pragma warning restore CA1031
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _workers.Remove(worker);
        }

        // Ended by maxTasksPerChild, killed, or crashed: the scheduler already put its chunk back.
        if (State == PoolState.Running && !_context.IsDisposedOrLost)
        {
            StartWorker();
        }
    }

    // The pool's lifecycle: it only moves forward, Running to Closed to Terminated (or Running to Terminated).
    private enum PoolState
    {
        Running = 0,
        Closed = 1,
        Terminated = 2,
    }
}

/// <summary>What a chunk runs in the worker: the function over each item of the chunk.</summary>
internal static class PoolChunks
{
    public static TResult[] Map<TArg, TResult>(Func<TArg, TResult> func, TArg[] items)
    {
        var results = new TResult[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            results[i] = func(items[i]);
        }

        return results;
    }

    public static Func<(T1, T2), TResult> Spread<T1, T2, TResult>(Func<T1, T2, TResult> func) => new Spreader<T1, T2, TResult>(func).Invoke;

    // A named class rather than a lambda: its one field (the function) travels as any closure's would.
    private sealed class Spreader<T1, T2, TResult>(Func<T1, T2, TResult> func)
    {
        public Func<T1, T2, TResult> Func { get; } = func;

        public TResult Invoke((T1, T2) pair) => Func(pair.Item1, pair.Item2);
    }
}
