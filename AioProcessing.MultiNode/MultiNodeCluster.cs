using System.Collections.Concurrent;

namespace AioProcessing.MultiNode;

/// <summary>
/// N worker nodes, each a real OS process joined to a coordinator over Akka.Remote, that run code sent to them on
/// demand: the role Akka's MultiNodeTestRunner and TestConductor play, built on this library. Code runs with a
/// <see cref="MultiNodeContext"/> that names its node and offers barriers between the nodes. Disposing the cluster
/// kills every node, whatever a spec did.
/// </summary>
/// <example>
/// <code>
/// await using var cluster = await MultiNodeCluster.StartAsync(3);
/// await cluster.RunOnAllAsync(static async node =>
/// {
///     await node.EnterBarrierAsync("started");
///     return node.Index;
/// });
/// </code>
/// </example>
public sealed class MultiNodeCluster : IAsyncDisposable
{
    private readonly AioContext _context;
    private readonly bool _ownsContext;
    private readonly Node[] _nodes;
    private long _nextJob;
    private int _disposed;

    private MultiNodeCluster(AioContext context, bool ownsContext, Node[] nodes)
    {
        _context = context;
        _ownsContext = ownsContext;
        _nodes = nodes;
    }

    /// <summary>The coordinator the nodes joined; the spec's own process can use its primitives too.</summary>
    public AioContext Context => _context;

    /// <summary>The number of nodes.</summary>
    public int Count => _nodes.Length;

    /// <summary>How long <see cref="RunOnAsync{T}(int, Func{MultiNodeContext, Task{T}}, TimeSpan?, CancellationToken)"/> waits unless told otherwise: 60 s.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The OS process id of node <paramref name="node"/>.</summary>
    /// <param name="node">The node's index, from 0.</param>
    /// <returns>Its process id.</returns>
    public int PidOf(int node) => NodeAt(node).Process.Pid ?? throw new InvalidOperationException($"Node {node} has no process.");

    /// <summary>Starts <paramref name="nodes"/> nodes, each an OS process, and returns once all run.</summary>
    /// <param name="nodes">How many, at least 1.</param>
    /// <param name="context">The coordinator to join; null starts one for the cluster (disposed with it).</param>
    /// <param name="ct">Stops waiting for the nodes.</param>
    /// <returns>The running cluster.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nodes"/> is less than 1.</exception>
    public static async Task<MultiNodeCluster> StartAsync(int nodes, AioContext? context = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        var owns = context is null;
        context ??= await AioContext.StartAsync(ct: ct).ConfigureAwait(false);
        var prefix = $"multinode-{Guid.NewGuid():N}-";
        var started = new List<Node>();
        var cluster = new MultiNodeCluster(context, owns, new Node[nodes]);
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                var inbox = new AioQueue<NodeJob?>(context: context);
                var outbox = new AioQueue<NodeReply>(context: context);
                var process = new AioProcess(context, NodeProgram.RunAsync, i, nodes, prefix, inbox, outbox) { Daemon = true, Name = $"multinode-{i}" };
                var node = new Node(i, process, inbox, outbox);
                cluster._nodes[i] = node;
                started.Add(node);
                await process.StartAsync(ct).ConfigureAwait(false);
                node.StartReading();
            }
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return cluster;
    }

    /// <summary>Runs <paramref name="code"/> on node <paramref name="node"/> and returns its result.</summary>
    /// <typeparam name="T">What the code returns; it travels back as a queue item does.</typeparam>
    /// <param name="node">The node's index, from 0.</param>
    /// <param name="code">A static method or lambda; captured variables travel by value.</param>
    /// <param name="timeout">How long to wait; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="ct">Stops waiting (the code runs on).</param>
    /// <returns>The code's result.</returns>
    /// <exception cref="RemoteException">The code threw on the node (type, message and stack of the node's exception).</exception>
    /// <exception cref="TimeoutException">The code did not finish in time.</exception>
    /// <exception cref="InvalidOperationException">The node died, or was killed.</exception>
    public async Task<T> RunOnAsync<T>(int node, Func<MultiNodeContext, Task<T>> code, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var target = NodeAt(node);
        var id = Interlocked.Increment(ref _nextJob);
        var reply = target.Expect(id);
        await target.Inbox.PutAsync(new NodeJob { Id = id, Code = async context => (object?)await code(context).ConfigureAwait(false) }, ct: ct).ConfigureAwait(false);
        var limit = timeout ?? DefaultTimeout;
        try
        {
            var answer = await reply.WaitAsync(limit, ct).ConfigureAwait(false);
            return answer.ErrorType is null ? (T)answer.Value! : throw new RemoteException(answer.ErrorType, answer.ErrorMessage ?? "", answer.ErrorStack ?? "");
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Node {node} did not finish its code within {limit.TotalSeconds:0.#} s.");
        }
    }

    /// <inheritdoc cref="RunOnAsync{T}(int, Func{MultiNodeContext, Task{T}}, TimeSpan?, CancellationToken)"/>
    public Task<T> RunOnAsync<T>(int node, Func<MultiNodeContext, T> code, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        return RunOnAsync(node, context => Task.FromResult(code(context)), timeout, ct);
    }

    /// <summary>Runs <paramref name="code"/> on every node at once and returns the results by node.</summary>
    /// <typeparam name="T">What the code returns.</typeparam>
    /// <param name="code">A static method or lambda; captured variables travel by value.</param>
    /// <param name="timeout">How long to wait; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="ct">Stops waiting.</param>
    /// <returns>Each node's result, by index.</returns>
    public Task<T[]> RunOnAllAsync<T>(Func<MultiNodeContext, Task<T>> code, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Task.WhenAll(Enumerable.Range(0, Count).Where(i => !_nodes[i].Killed).Select(i => RunOnAsync(i, code, timeout, ct)));

    /// <summary>Kills node <paramref name="node"/>'s process (SIGKILL), as a crash would; its unfinished code fails.</summary>
    /// <param name="node">The node's index, from 0.</param>
    /// <param name="timeout">How long to wait for the process to be gone.</param>
    /// <returns>Whether it was gone in time.</returns>
    public async Task<bool> KillAsync(int node, TimeSpan? timeout = null)
    {
        var target = NodeAt(node);
        target.Killed = true;
        target.Process.Kill();
        return await target.Process.JoinAsync(timeout ?? DefaultTimeout).ConfigureAwait(false);
    }

    /// <summary>Kills every node, then stops the coordinator if the cluster started it.</summary>
    /// <returns>A task that completes when everything is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var node in _nodes.Where(n => n is not null))
        {
            node.Process.Kill();
        }

        await Task.WhenAll(_nodes.Where(n => n is not null).Select(n => n.Process.JoinAsync(TimeSpan.FromSeconds(10)))).ConfigureAwait(false);
        foreach (var node in _nodes.Where(n => n is not null))
        {
            node.FailAll("the cluster was disposed");
        }

        if (_ownsContext)
        {
            await _context.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Node NodeAt(int node)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, _nodes.Length);
        return _nodes[node];
    }

    /// <summary>One node: its process, its inbox of code, and the answers on their way back.</summary>
    private sealed class Node(int index, AioProcess process, AioQueue<NodeJob?> inbox, AioQueue<NodeReply> outbox)
    {
        private readonly ConcurrentDictionary<long, TaskCompletionSource<NodeReply>> _waiting = new();

        public AioProcess Process { get; } = process;

        public AioQueue<NodeJob?> Inbox { get; } = inbox;

        public bool Killed { get; set; }

        public Task<NodeReply> Expect(long id)
        {
            var waiting = new TaskCompletionSource<NodeReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[id] = waiting;
            if (Killed || Process.ExitCode is not null)
            {
                FailAll($"node {index} is dead");
            }

            return waiting.Task;
        }

        public void StartReading()
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var reply = await outbox.GetAsync().ConfigureAwait(false);
                        if (_waiting.TryRemove(reply.Id, out var waiting))
                        {
                            waiting.TrySetResult(reply);
                        }
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or CoordinatorLostException or InvalidOperationException)
                {
                    FailAll(ex.Message);
                }
            });
            _ = Task.Run(async () =>
            {
                await Process.JoinAsync().ConfigureAwait(false);
                FailAll($"node {index} died (exit code {Process.ExitCode})");
            });
        }

        public void FailAll(string why)
        {
            foreach (var key in _waiting.Keys)
            {
                if (_waiting.TryRemove(key, out var waiting))
                {
                    waiting.TrySetException(new InvalidOperationException($"Node {index}: {why}."));
                }
            }
        }
    }
}
