using System.Collections.Concurrent;
using AioProcessing.Actors.Nodes;
using AioProcessing.Internal;
using AioProcessing.Node.Worker;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A target run in a separate OS process (a worker node joined to the coordinator), as Python's
/// <c>multiprocessing.Process</c>. The target and its arguments are encoded when the process is constructed, so a
/// target or argument that cannot be sent is refused there with an <see cref="ArgumentException"/> naming it.
/// </summary>
public sealed class AioProcess
{
    private static readonly AioProcessInfo MainProcess = new("MainProcess", Environment.ProcessId, Daemon: false);
    private static readonly ConcurrentDictionary<AioProcess, byte> Children = new();
    private static int s_counter;
    private static AioProcessInfo? s_current;
    private static AioProcessInfo? s_parent;

    private readonly AioContext _context;
    private readonly byte[] _call;
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WorkerProcess? _worker;
    private IActorRef? _owner;
    private RemoteException? _exception;
    private readonly ManualResetEvent _sentinel = new(initialState: false);

    // Pipe ends among the arguments, held in transit until the child claims them; dropped when it ends.
    private readonly List<(IActorRef Key, Actors.Primitives.PipeEnd.EndSide Side, long Token)> _pipeEndsInTransit;
    private int _started;
    private int _closed;
    private string _name;
    private bool _daemon;

    /// <summary>Prepares <paramref name="target"/> to run with <paramref name="args"/> in a new process of <see cref="AioContext.Default"/>.</summary>
    /// <param name="target">A static method or a lambda; captured variables travel by value, facades as references.</param>
    /// <param name="args">The target's arguments, one per parameter.</param>
    /// <exception cref="ArgumentException">The target or an argument cannot be sent to another process, or the arguments do not fit the target's parameters.</exception>
    public AioProcess(Delegate target, params object?[] args)
        : this(null, target, args)
    {
    }

    /// <summary>Prepares <paramref name="target"/> to run with <paramref name="args"/> in a new process of <paramref name="context"/>.</summary>
    /// <param name="context">The coordinator the process joins; null for <see cref="AioContext.Default"/>.</param>
    /// <param name="target">A static method or a lambda; captured variables travel by value, facades as references.</param>
    /// <param name="args">The target's arguments, one per parameter.</param>
    /// <exception cref="ArgumentException">The target or an argument cannot be sent to another process, or the arguments do not fit the target's parameters.</exception>
    public AioProcess(AioContext? context, Delegate target, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(target);
        args ??= [null];
        var parameters = CallShape.Parameters(target);
        CheckArguments(target, parameters, args);
        _context = context ?? AioContext.Default;
        _name = $"AioProcess-{Interlocked.Increment(ref s_counter)}";
        byte[]? call = null;
        _pipeEndsInTransit = ConnectionFormatter.CollectTransfers(() => call = _context.Payloads.SerializeCall(target, args, parameters, "The process"));
        _call = call!;
    }

    /// <summary>The process's name, for messages and logs.</summary>
    public string Name
    {
        get => _name;
        set => _name = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// A daemon process is killed when its context is disposed (or this program exits); a non-daemon one is first
    /// given <c>aio.node.join-on-dispose-timeout</c> to finish. Set before <see cref="Start"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process was already started.</exception>
    public bool Daemon
    {
        get => _daemon;
        set
        {
            if (Volatile.Read(ref _started) != 0)
            {
                throw new InvalidOperationException("Daemon can only be set before the process is started.");
            }

            _daemon = value;
        }
    }

    /// <summary>The OS process id once started; null before.</summary>
    public int? Pid
    {
        get
        {
            ThrowIfClosed();
            return _worker?.Pid;
        }
    }

    /// <summary>Whether the process was started and has not finished.</summary>
    public bool IsAlive
    {
        get
        {
            ThrowIfClosed();
            return IsAliveCore;
        }
    }

    /// <summary>
    /// Null while running or before start; 0 when the target returned; 1 when it threw (see <see cref="Exception"/>);
    /// the negative signal number when the process was killed by a signal, as in Python. A worker that ends for its
    /// own reasons, not its target's, exits with one of <see cref="Node.Worker.WorkerExitCodes"/> (then
    /// <see cref="Exception"/> is null): 70 its parent is gone, 71 it lost its coordinator (the coordinator died, or
    /// evicted it after it froze or was cut off longer than the failure detector allows), 72 the coordinator refused
    /// it, 73 it could not start.
    /// </summary>
    public int? ExitCode
    {
        get
        {
            ThrowIfClosed();
            return _finished.Task.IsCompletedSuccessfully ? _finished.Task.Result : null;
        }
    }

    /// <summary>The exception the target threw, with its remote type, message and stack; null otherwise.</summary>
    public RemoteException? Exception => Volatile.Read(ref _exception);

    /// <summary>
    /// The process this code runs in (Python's <c>current_process()</c>): inside a target, its name, OS process id and
    /// daemon flag; in a program that was not started as an <see cref="AioProcess"/>, "MainProcess".
    /// </summary>
    public static AioProcessInfo Current => Volatile.Read(ref s_current) ?? MainProcess;

    /// <summary>
    /// The process that started this one (Python's <c>parent_process()</c>), inside a target; null in a program that
    /// was not started as an <see cref="AioProcess"/>.
    /// </summary>
    public static AioProcessInfo? Parent => Volatile.Read(ref s_parent);

    /// <summary>
    /// A handle that is signalled when the process ends (Python's <c>sentinel</c>), for
    /// <see cref="WaitHandle.WaitAny(WaitHandle[])"/> over several processes and other handles.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process was not started.</exception>
    /// <exception cref="ObjectDisposedException">The process was closed.</exception>
    public WaitHandle Sentinel
    {
        get
        {
            ThrowIfClosed();
            return Volatile.Read(ref _started) != 0 ? _sentinel : throw new InvalidOperationException($"{Name} was not started; only a started process has a sentinel.");
        }
    }

    /// <summary>
    /// The children this program started that are still running (Python's <c>active_children()</c>), in any context.
    /// </summary>
    public static IReadOnlyList<AioProcess> ActiveChildren() => [.. Children.Keys.Where(p => p.IsAlive)];

    /// <summary>
    /// Releases what this object holds (Python's <c>close()</c>); afterwards its members throw
    /// <see cref="ObjectDisposedException"/>, except <see cref="Name"/>, <see cref="Daemon"/> and <see cref="ToString"/>.
    /// Closing twice does nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process is still running.</exception>
    public void Close()
    {
        if (IsAliveCore)
        {
            throw new InvalidOperationException($"Cannot close {Name} while it is still running; join or kill it first.");
        }

        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _sentinel.Dispose();
        }
    }

    /// <summary>Notes, in a worker, which process its target runs as (for <see cref="Current"/> and <see cref="Parent"/>).</summary>
    internal static void RunningAs(NodeProtocol.RunTarget run)
    {
        Volatile.Write(ref s_current, new AioProcessInfo(run.ProcessName, Environment.ProcessId, run.Daemon));
        Volatile.Write(ref s_parent, run.ParentPid == 0 ? null : new AioProcessInfo(run.ParentName, run.ParentPid, Daemon: false));
    }

    /// <summary>Starts the process and returns once its node joined the coordinator and received the target.</summary>
    /// <exception cref="InvalidOperationException">The process was already started.</exception>
    /// <exception cref="TimeoutException">The node did not join within <c>aio.node.start-timeout</c>; the message holds its stderr.</exception>
    /// <exception cref="AioProcessStartException">The node exited before it joined; the message holds its stderr.</exception>
    public void Start() => Blocking.Wait(() => StartAsync());

    // How long a taken warm node may take to be handed its target before a node is launched in its place.
    private static readonly TimeSpan WarmTakeBound = TimeSpan.FromSeconds(3);

    // How long a process that took a warm node runs before that node's replacement is launched, if it has not ended
    // by then. A node's start is half a second of CPU: launched with the take, it shared 2 cores with the process
    // that took the node (a warm start and join of an empty target 37-41 ms instead of 20-23).
    private static readonly TimeSpan ReplenishAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A pool's worker: it runs CPU-bound work for its whole life, so its node starts with the JIT's tiering off
    /// (<see cref="WorkerLauncher.Launch(WorkerBootstrap, bool)"/>).
    /// </summary>
    internal bool ComputeBound { get; init; }

    /// <inheritdoc cref="Start"/>
    /// <param name="ct">Abandons the start: the node is killed and <see cref="OperationCanceledException"/> thrown.</param>
    public async Task StartAsync(CancellationToken ct = default)
    {
        ThrowIfClosed();
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"{Name} was already started; a process can be started only once.");
        }

        _context.ThrowIfDisposed();
        // A warm node that already joined only needs its target; otherwise a new node is launched. A pool's worker
        // never takes one: warm nodes start with the JIT's tiering, which a worker for CPU-bound work goes without.
        var warm = !ComputeBound && _context.TryTakeWarmNode(out var warmNode) ? warmNode : null;
        var nodeId = warm?.NodeId ?? Guid.NewGuid().ToString("N");
        _owner = _context.System.ActorOf(ProcessOwner.Props(new Observer(this)));
        var parent = Current;
        _context.Link.Tell(_context.NodeManager, new NodeProtocol.ExpectWorker(nodeId, new NodeProtocol.RunTarget(nodeId, Name, _call, _owner, _daemon, parent.Pid, parent.Name)), withInbox: false);
        _worker = warm?.Process ?? WorkerLauncher.Launch(_context.BootstrapFor(nodeId), fullyOptimized: ComputeBound);
        _context.Track(this);
        Children.TryAdd(this, 0);
        _ = _finished.Task.ContinueWith(
            static (finished, state) =>
            {
                var process = (AioProcess)state!;
                Children.TryRemove(process, out _);
                if (Volatile.Read(ref process._closed) == 0)
                {
                    process._sentinel.Set();
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        _ = FinishWhenExitedAsync(_worker);

        var timeout = _context.Settings.StartTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var deadline = Task.Delay(timeout, cts.Token);
        if (warm is not null)
        {
            // A warm node is handed its target at once. One that is not up soon (seen in 2 of 6 benchmark runs: the
            // coordinator no longer counted it idle, cause not found yet) is given up for a node launched now,
            // rather than holding the start for the whole start timeout.
            var warmBound = Task.Delay(WarmTakeBound, cts.Token);
            _ = ReplenishWhenDoneOrUnderWayAsync();
            if (await Task.WhenAny(_up.Task, _finished.Task, warmBound, deadline).ConfigureAwait(false) == warmBound)
            {
                _context.Link.Post(_context.NodeManager, new NodeProtocol.ForgetWorker(nodeId), withInbox: false);
                var abandoned = _worker;
                var replacement = Guid.NewGuid().ToString("N");
                _context.Link.Tell(_context.NodeManager, new NodeProtocol.ExpectWorker(replacement, new NodeProtocol.RunTarget(replacement, Name, _call, _owner, _daemon, parent.Pid, parent.Name)), withInbox: false);
                nodeId = replacement;
                _worker = WorkerLauncher.Launch(_context.BootstrapFor(replacement), fullyOptimized: ComputeBound);
                _ = FinishWhenExitedAsync(_worker);
                abandoned.Kill(); // after the replacement is this process's worker: its exit finishes nothing

            }
        }

        var first = await Task.WhenAny(_up.Task, _finished.Task, deadline).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        if (first == _up.Task)
        {
            return;
        }

        if (first == _finished.Task)
        {
            var code = await _worker.Exited.ConfigureAwait(false);
            throw new AioProcessStartException($"{Name}: the worker node exited with code {code} before it joined the coordinator. Its stderr:{Environment.NewLine}{_worker.StderrTail}");
        }

        _context.Link.Post(_context.NodeManager, new NodeProtocol.ForgetWorker(nodeId), withInbox: false);
        _worker.Kill();
        ct.ThrowIfCancellationRequested();
        throw new TimeoutException($"{Name}: the worker node did not join the coordinator within {timeout} (aio.node.start-timeout). Its stderr:{Environment.NewLine}{_worker.StderrTail}");
    }

    private async Task ReplenishWhenDoneOrUnderWayAsync()
    {
        await Task.WhenAny(_finished.Task, Task.Delay(ReplenishAfter)).ConfigureAwait(false);
        _context.ReplenishWarmNodes();
    }

    /// <summary>Waits for the process to finish; false when <paramref name="timeout"/> elapses first.</summary>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Stops waiting (the process goes on) and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">The process was never started.</exception>
    public bool Join(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => JoinAsync(timeout, ct));

    /// <inheritdoc cref="Join"/>
    public async Task<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ThrowIfClosed();
        if (Volatile.Read(ref _started) == 0)
        {
            throw new InvalidOperationException($"{Name} was not started; only a started process can be joined.");
        }

        var timeoutMs = Requests.TimeoutMs(timeout);
        try
        {
            await _finished.Task.WaitAsync(timeoutMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(timeoutMs), ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Asks the process to end (SIGTERM; a kill on Windows). Its <see cref="ExitCode"/> becomes -15.</summary>
    public void Terminate()
    {
        ThrowIfClosed();
        _worker?.Terminate();
    }

    /// <summary>Ends the process at once (SIGKILL). Its <see cref="ExitCode"/> becomes -9.</summary>
    public void Kill()
    {
        ThrowIfClosed();
        _worker?.Kill();
    }

    /// <inheritdoc />
    public override string ToString() =>
        Volatile.Read(ref _closed) != 0
            ? $"<{nameof(AioProcess)} name='{Name}' closed>"
            : $"<{nameof(AioProcess)} name='{Name}' pid={Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {(IsAlive ? "started" : ExitCode is { } c ? $"exitcode={c}" : "initial")}{(Daemon ? " daemon" : "")}>";

    private bool IsAliveCore => Volatile.Read(ref _started) != 0 && !_finished.Task.IsCompleted;

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);

    /// <summary>Waits, at most <paramref name="timeout"/>, until the OS process is gone (not only its target finished).</summary>
    internal async Task ExitedAsync(TimeSpan timeout)
    {
        if (Volatile.Read(ref _started) != 0)
        {
            await Task.WhenAny(_exited.Task, Task.Delay(timeout)).ConfigureAwait(false);
        }
    }

    private static void CheckArguments(Delegate target, IReadOnlyList<(Type Type, string Name)> parameters, object?[] args)
    {
        if (args.Length != parameters.Count)
        {
            throw new ArgumentException($"The target {target.Method.Name} takes {parameters.Count} argument(s) but {args.Length} were given.", nameof(args));
        }

        for (var i = 0; i < args.Length; i++)
        {
            var (type, name) = parameters[i];
            var fits = args[i] is null
                ? !type.IsValueType || Nullable.GetUnderlyingType(type) is not null
                : type.IsInstanceOfType(args[i]);
            if (!fits)
            {
                throw new ArgumentException($"Argument {i} ('{name}') of {target.Method.Name} must be {type.Name}, not {args[i]?.GetType().Name ?? "null"}.", nameof(args));
            }
        }
    }

    // The report of the target's end usually arrives first; a process that dies without one (killed, crashed)
    // finishes here from its OS exit code.
    private async Task FinishWhenExitedAsync(WorkerProcess worker)
    {
        var code = await worker.Exited.ConfigureAwait(false);
        if (!ReferenceEquals(worker, Volatile.Read(ref _worker)))
        {
            // A warm node given up for a node launched in its place.
            worker.Dispose();
            return;
        }

        var signal = worker.SignalSent;
        var exitCode = signal != 0 ? -signal : code > 128 && !OperatingSystem.IsWindows() ? -(code - 128) : code;
        _finished.TrySetResult(exitCode);
        _context.Untrack(this);
        _owner?.Tell(PoisonPill.Instance);
        if (!_context.IsDisposedOrLost)
        {
            // Copies the child never claimed (it died first) no longer keep their ends open; claimed ones went with it.
            foreach (var (key, side, token) in _pipeEndsInTransit)
            {
                _context.Link.Post(key, new Actors.Primitives.PipeEnd.Drop(side, token));
            }
        }

        worker.Dispose();
        _exited.TrySetResult();
    }

    private sealed class Observer(AioProcess process) : IProcessObserver
    {
        public void OnWorkerUp(int pid) => process._up.TrySetResult();

        public void OnTargetExited(int exitCode, NodeProtocol.RemoteError? error)
        {
            if (error is not null)
            {
                Volatile.Write(ref process._exception, new RemoteException(error.Type, error.Message, error.StackTrace));
            }

            process._finished.TrySetResult(exitCode);
        }

        public void OnWorkerLost()
        {
            // The OS process exit (watched by FinishWhenExitedAsync) carries the exit code; nothing to add here.
        }
    }
}
