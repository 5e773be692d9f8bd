using System.Collections.Concurrent;
using AioProcessing.Actors.Nodes;
using AioProcessing.Node.Worker;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// Worker nodes started before any process needs them. A node that has joined the coordinator waits idle;
/// <see cref="AioProcess.Start"/> takes one over and only pays for handing it the target, and the pool launches a
/// replacement in the background. Asked for with <see cref="AioContextOptions.WarmNodes"/>, the nodes start with the
/// context and stay. By default (<c>aio.node.warm-nodes</c>, as Python 3.14 made its forkserver the default) they
/// start after the first process start, and are retired when no start took one for <c>aio.node.warm-idle-timeout</c>;
/// the next start brings them back.
/// </summary>
internal sealed class WarmNodes : IAsyncDisposable
{
    private readonly AioContext _context;
    private readonly int _size;
    private readonly ConcurrentQueue<WarmNode> _ready = new();
    private readonly ConcurrentDictionary<string, WarmNode> _all = new();
    private readonly Lock _gate = new();
    private readonly Timer? _retire;
    private readonly TimeSpan _idle;
    private long _lastActivity;
    private long _lastLaunch;
    private int _joined;
    private int _disposed;

    // 1 while the nodes are retired (or not started yet): nothing launches until a start asks for a node.
    private int _resting;

    /// <summary>Keeps <paramref name="size"/> nodes; with <paramref name="idle"/>, only after the first start and while starts come within it.</summary>
    public WarmNodes(AioContext context, int size, TimeSpan? idle = null)
    {
        _context = context;
        _size = size;
        if (idle is { } timeout)
        {
            _idle = timeout;
            _resting = 1;
            _retire = new Timer(static state => ((WarmNodes)state!).RetireIfIdle(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        else
        {
            Fill();
        }
    }

    /// <summary>The OS process ids of the nodes that have joined and wait idle now.</summary>
    /// <summary>The coordinator's ids of the nodes that have joined and wait idle now.</summary>
    public IReadOnlyList<string> ReadyNodeIds => _ready.Select(n => n.NodeId).ToArray();

    /// <summary>The nodes launched and not yet taken or retired, ready or still joining.</summary>
    public int Launched => _all.Count;

    /// <summary>How many nodes have joined and become ready since the pool was made, taken or retired since or not.</summary>
    public int Joined => Volatile.Read(ref _joined);

    public IReadOnlyList<int> ReadyPids => _ready.Where(n => !n.Process.Exited.IsCompleted).Select(n => n.Process.Pid).ToArray();

    /// <summary>Takes an idle node that has joined and is still alive; false when none is ready now.</summary>
    public bool TryTake(out WarmNode node)
    {
        WarmNode? taken = null;

        // Under the gate with retirement: a node is either taken or retired, never both (a start once took a node
        // that retirement was killing, and waited for it until its start timeout).
        lock (_gate)
        {
            Volatile.Write(ref _lastActivity, Environment.TickCount64);
            if (Interlocked.Exchange(ref _resting, 0) == 1 && _retire is not null && Volatile.Read(ref _disposed) == 0)
            {
                _retire.Change(_idle, _idle / 2);
            }

            while (taken is null && _ready.TryDequeue(out var candidate))
            {
                _all.TryRemove(candidate.NodeId, out _);
                _context.System.Stop(candidate.Owner);
                if (!candidate.Process.Exited.IsCompleted)
                {
                    taken = candidate;
                }
                else
                {
                    candidate.Process.Dispose();
                }
            }
        }

        // A taken node's replacement is launched by Replenish, once the start that took it has its node up: launched
        // now, its start (half a second of CPU) competed with that start for the cores (a warm start 38-41 ms instead
        // of 20-23 on 2 cores).
        if (taken is null)
        {
            Fill();
        }

        node = taken!;
        return taken is not null;
    }

    /// <summary>Launches the replacement of a node <see cref="TryTake"/> gave out, once the start that took it is up or has failed.</summary>
    public void Replenish() => Fill();

    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        if (_retire is not null)
        {
            await _retire.DisposeAsync().ConfigureAwait(false);
        }

        WarmNode[] nodes;
        lock (_gate)
        {
            nodes = TakeAll();
        }

        await StopAsync(nodes).ConfigureAwait(false);
    }

    // Under the gate. Taken out of _all, so that the exit watch of Launch leaves them to the caller and launches none
    // in their place.
    private WarmNode[] TakeAll()
    {
        var nodes = _all.Keys.Select(id => _all.TryRemove(id, out var node) ? node : null).OfType<WarmNode>().ToArray();
        while (_ready.TryDequeue(out _))
        {
        }

        return nodes;
    }

    private async Task StopAsync(WarmNode[] nodes)
    {
        foreach (var node in nodes)
        {
            _context.NodeManager.Tell(new NodeProtocol.ForgetWorker(node.NodeId));
            _context.System.Stop(node.Owner);
            node.Process.Kill();
        }

        await Task.WhenAll(nodes.Select(n => n.Process.Exited.WaitAsync(TimeSpan.FromSeconds(5)))).ConfigureAwait(false);
        foreach (var node in nodes)
        {
            node.Process.Dispose();
        }
    }

    // No start took a node, and none became ready, for the idle time: the nodes go, and come back with the next start.
    // A node still joining is not idle: its idle time starts when it is ready (a start on a loaded machine can take
    // longer than a short idle timeout, and the node was once killed while it joined). One that has not joined
    // within aio.node.start-timeout no longer holds retirement back.
    private void RetireIfIdle()
    {
        WarmNode[] nodes;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            var joining = _all.Count > _ready.Count && now - Volatile.Read(ref _lastLaunch) < (long)_context.Settings.StartTimeout.TotalMilliseconds;
            if (joining
                || now - Volatile.Read(ref _lastActivity) < (long)_idle.TotalMilliseconds
                || Volatile.Read(ref _disposed) != 0
                || Interlocked.Exchange(ref _resting, 1) == 1)
            {
                return;
            }

            _retire!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            nodes = TakeAll();
        }

        _ = StopAsync(nodes);
    }

    private void Fill()
    {
        while (Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _resting) == 0 && _all.Count < _size)
        {
            Launch();
        }
    }

    private void Launch()
    {
        var nodeId = Guid.NewGuid().ToString("N");
        var observer = new Observer(this, nodeId);
        var owner = _context.System.ActorOf(ProcessOwner.Props(observer, watchWorker: false));
        _context.NodeManager.Tell(new NodeProtocol.ExpectWarmWorker(nodeId, owner));
        var process = WorkerLauncher.Launch(_context.BootstrapFor(nodeId, ready: true));
        var node = new WarmNode(nodeId, process, owner);
        _all[nodeId] = node;
        Volatile.Write(ref _lastLaunch, Environment.TickCount64);
        // A node that dies before it is taken leaves the pool, and the pool launches another.
        _ = process.Exited.ContinueWith(
            exited =>
            {
                if (_all.TryRemove(nodeId, out var _))
                {
                    _context.NodeManager.Tell(new NodeProtocol.ForgetWorker(nodeId));
                    _context.System.Stop(owner);
                    process.Dispose();
                    Fill();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private sealed class Observer(WarmNodes pool, string nodeId) : IProcessObserver
    {
        public void OnWorkerUp(int pid)
        {
            if (pool._all.TryGetValue(nodeId, out var node))
            {
                // Idle from now: a node is retired after it waited the idle time ready, not while it was starting.
                Volatile.Write(ref pool._lastActivity, Environment.TickCount64);
                pool._ready.Enqueue(node);
                Interlocked.Increment(ref pool._joined);
            }
        }

        public void OnTargetExited(int exitCode, NodeProtocol.RemoteError? error)
        {
        }

        public void OnWorkerLost()
        {
        }
    }
}

/// <summary>An idle worker node: its id at the coordinator, its OS process, and the actor that heard it join.</summary>
internal sealed record WarmNode(string NodeId, WorkerProcess Process, IActorRef Owner);
