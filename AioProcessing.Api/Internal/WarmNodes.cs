using System.Collections.Concurrent;
using AioProcessing.Actors.Nodes;
using AioProcessing.Node.Worker;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// Worker nodes started before any process needs them (<c>aio.node.warm-nodes</c>). A node that has joined the
/// coordinator waits idle; <see cref="AioProcess.Start"/> takes one over and only pays for handing it the target,
/// and the pool launches a replacement in the background.
/// </summary>
internal sealed class WarmNodes : IAsyncDisposable
{
    private readonly AioContext _context;
    private readonly int _size;
    private readonly ConcurrentQueue<WarmNode> _ready = new();
    private readonly ConcurrentDictionary<string, WarmNode> _all = new();
    private int _disposed;

    public WarmNodes(AioContext context, int size)
    {
        _context = context;
        _size = size;
        Fill();
    }

    /// <summary>The OS process ids of the nodes that have joined and wait idle now.</summary>
    public IReadOnlyList<int> ReadyPids => _ready.Where(n => !n.Process.Exited.IsCompleted).Select(n => n.Process.Pid).ToArray();

    /// <summary>Takes an idle node that has joined and is still alive; false when none is ready now.</summary>
    public bool TryTake(out WarmNode node)
    {
        while (_ready.TryDequeue(out node!))
        {
            _all.TryRemove(node.NodeId, out _);
            _context.System.Stop(node.Owner);
            if (!node.Process.Exited.IsCompleted)
            {
                Fill();
                return true;
            }

            node.Process.Dispose();
        }

        Fill();
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        // Taken out of _all, so that the exit watch of Launch leaves them to this method.
        var nodes = _all.Keys.Select(id => _all.TryRemove(id, out var node) ? node : null).OfType<WarmNode>().ToArray();
        foreach (var node in nodes)
        {
            node.Process.Kill();
        }

        await Task.WhenAll(nodes.Select(n => n.Process.Exited.WaitAsync(TimeSpan.FromSeconds(5)))).ConfigureAwait(false);
        foreach (var node in nodes)
        {
            node.Process.Dispose();
        }
    }

    private void Fill()
    {
        while (Volatile.Read(ref _disposed) == 0 && _all.Count < _size)
        {
            Launch();
        }
    }

    private void Launch()
    {
        var nodeId = Guid.NewGuid().ToString("N");
        var observer = new Observer(this, nodeId);
        var owner = _context.System.ActorOf(ProcessOwner.Props(observer));
        _context.NodeManager.Tell(new NodeProtocol.ExpectWarmWorker(nodeId, owner));
        var process = WorkerLauncher.Launch(_context.BootstrapFor(nodeId));
        var node = new WarmNode(nodeId, process, owner);
        _all[nodeId] = node;
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
                pool._ready.Enqueue(node);
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
