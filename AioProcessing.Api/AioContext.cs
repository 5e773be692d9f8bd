using System.Collections.Concurrent;
using System.Security.Cryptography;
using AioProcessing.Actors.Client;
using AioProcessing.Actors.Primitives;
using AioProcessing.Hosting;
using AioProcessing.Internal;
using AioProcessing.Node.Hosting;
using AioProcessing.Node.Worker;
using AioProcessing.Serialization;
using Akka.Actor;
using Akka.Configuration;

namespace AioProcessing;

/// <summary>
/// Owns or joins a coordinator node: the actor system that hosts every primitive. The process that starts a
/// coordinator owns it; worker processes join it. Disposing the owning context ends its worker processes
/// (non-daemon ones get <c>aio.node.join-on-dispose-timeout</c> to finish first) and stops the coordinator.
/// </summary>
public sealed class AioContext : IDisposable, IAsyncDisposable
{
    private static readonly Lock DefaultLock = new();
    private static AioContext? s_default;

    private readonly AioNode? _ownedNode;
    private readonly bool _isCoordinator;
    private WarmNodes? _warmNodes;
    private readonly ConcurrentDictionary<AioProcess, byte> _processes = new();
    private readonly CancellationTokenSource _lost = new();
    private int _disposed;

    private AioContext(ActorSystem system, Address coordinator, string secret, string? hocon, IReadOnlyList<string> probeDirectories, AioNode? ownedNode, Membership membership)
    {
        Ledger = new ProcessLedger(this);
        _isCoordinator = membership == Membership.Coordinator;
        System = system;
        CoordinatorAddress = coordinator;
        Secret = secret;
        Hocon = hocon;
        ProbeDirectories = probeDirectories;
        _ownedNode = ownedNode;
        LocalAddress = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        Settings = AioSettings.From(system.Settings.Config);
        Payloads = new PayloadSerializer(this, Settings.MaxPayloadBytes);
        Link = new CoordinatorLink(this, (ExtendedActorSystem)system, coordinator);
        NodeManager = ResolveActor(coordinator + Actors.Nodes.NodeManager.Path);
        Primitives = new PrimitiveDirectory(this, ResolveActor(coordinator + PrimitiveHost.Path));
        if (!_isCoordinator)
        {
            Member = system.ActorOf(CoordinatorWatch.Props(NodeManager, membership == Membership.SpawnedWorker, OnCoordinatorLost), "aio-coordinator-watch");
            // Before anything is sent: every message of this process then takes the path chosen here.
            Link.Open(secret, OnCoordinatorLost);
        }
    }

    /// <summary>How a context belongs to its coordinator.</summary>
    private enum Membership
    {
        /// <summary>It runs the coordinator.</summary>
        Coordinator,

        /// <summary>A worker node the coordinator spawned: the connection is its life.</summary>
        SpawnedWorker,

        /// <summary>A process that joined with <see cref="ConnectAsync"/>: DeathWatch, or a probe after its connection drops, decides.</summary>
        Joined,
    }

    /// <summary>
    /// The context of this process: in a worker, the coordinator it joined; elsewhere a coordinator started in this
    /// process on first use (loopback, ephemeral port), disposed when the process exits.
    /// </summary>
    public static AioContext Default
    {
        get
        {
            lock (DefaultLock)
            {
                if (s_default is null)
                {
                    s_default = Blocking.Wait(() => StartAsync());
                    AppDomain.CurrentDomain.ProcessExit += static (_, _) => s_default?.Dispose();
                }

                return s_default;
            }
        }
    }

    /// <summary>The coordinator's address, e.g. <c>akka.tcp://aio@127.0.0.1:41234</c>.</summary>
    public string Address => CoordinatorAddress.ToString();

    /// <summary>True when this context runs the coordinator in this process.</summary>
    public bool IsCoordinator => _isCoordinator;

    /// <summary>This process's member actor, watched by the coordinator (null in the coordinator's own process).</summary>
    internal IActorRef? Member { get; }

    internal ActorSystem System { get; }

    internal Address CoordinatorAddress { get; }

    internal Address LocalAddress { get; }

    /// <summary>
    /// The coordinator's secret, which a process needs to <see cref="ConnectAsync">join</see> it (Python's
    /// <c>authkey</c>). Generated at random unless <see cref="AioContextOptions.Secret"/> set it; keep it private.
    /// </summary>
    public string Secret { get; }

    internal string? Hocon { get; }

    internal IReadOnlyList<string> ProbeDirectories { get; }

    internal AioSettings Settings { get; }

    internal PayloadSerializer Payloads { get; }

    internal IActorRef NodeManager { get; }

    /// <summary>Creates and finds this context's primitives in the coordinator (<see cref="PrimitiveDirectory"/>).</summary>
    internal PrimitiveDirectory Primitives { get; }

    /// <summary>Everything this process sends to its coordinator, and the answers (<see cref="CoordinatorLink"/>).</summary>
    internal CoordinatorLink Link { get; }

    /// <summary>What this process has outstanding with the coordinator: grants, reentrant holds, queue traffic (<see cref="ProcessLedger"/>).</summary>
    internal ProcessLedger Ledger { get; }

    /// <summary>Starts a coordinator in this process.</summary>
    /// <exception cref="ArgumentException">The options' HOCON does not parse.</exception>
    public static async Task<AioContext> StartAsync(AioContextOptions? options = null, CancellationToken ct = default)
    {
        options ??= new AioContextOptions();
        WorkerLauncher.LocateNodeProgramInBackground();
        var secret = options.Secret ?? NewSecret();
        var hocon = options.EffectiveHocon();
        var config = ParseHocon(hocon);
        // Nothing reaches the console unasked: without a logger factory the coordinator is silent unless the HOCON says otherwise.
        if (options.LoggerFactory is null)
        {
            config = (config ?? Akka.Configuration.Config.Empty).WithFallback(ConfigurationFactory.ParseString("akka.loglevel = OFF\nakka.stdout-loglevel = OFF"));
        }

        var node = await AioNode.StartCoordinatorAsync(new AioNodeSettings(options.SystemName, options.HostName, options.Port, config, options.LoggerFactory), secret, ct)
            .ConfigureAwait(false);
        var context = new AioContext(node.System, node.Address, secret, hocon, ProbeDirectoriesOf(), node, Membership.Coordinator);
        await context.StartWarmNodesAsync(options.WarmNodes).ConfigureAwait(false);
        return context;
    }

    /// <summary>
    /// The context of the coordinator that <c>WithAioProcessing</c> added to <paramref name="system"/> (an
    /// Akka.Hosting application's own actor system). The first call, from anywhere, starts the coordinator's actors.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="system"/> was not configured with <c>WithAioProcessing</c>, or has no remoting.</exception>
    public static AioContext Of(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!AttachedContext.IsConfigured(system))
        {
            throw new InvalidOperationException($"The actor system '{system.Name}' has no AioProcessing coordinator: add .WithAioProcessing() to its Akka.Hosting configuration.");
        }

        return AttachedContext.Of(system);
    }

    /// <summary>
    /// Makes <paramref name="system"/> (with remoting) a coordinator: starts its actors, and returns its context,
    /// stopped when the system shuts down and the process's default when it has none yet.
    /// </summary>
    /// <exception cref="InvalidOperationException">The system has no remoting, so no worker could join it.</exception>
    internal static AioContext AttachCoordinator(ActorSystem system, AioContextOptions options)
    {
        var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        if (address.Host is null || address.Port is null)
        {
            throw new InvalidOperationException($"AioProcessing needs Akka.Remote in the actor system '{system.Name}' so that worker processes can join it: add .WithRemoting(...) before .WithAioProcessing().");
        }

        var secret = options.Secret ?? NewSecret();
        AioNode.StartCoordinatorActors(system, Akka.Hosting.ActorRegistry.For(system), secret);
        var context = new AioContext(system, address, secret, options.EffectiveHocon(), ProbeDirectoriesOf(), ownedNode: null, Membership.Coordinator);
        context.BecomeDefaultIfNone();
        Blocking.Wait(() => context.StartWarmNodesAsync(options.WarmNodes));
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "aio-context", async () =>
        {
            await context.DisposeAsync().ConfigureAwait(false);
            return Akka.Done.Instance;
        });
        return context;
    }

    /// <summary>Makes this context the process's <see cref="Default"/> unless it has one.</summary>
    internal void BecomeDefaultIfNone()
    {
        lock (DefaultLock)
        {
            s_default ??= this;
        }
    }

    /// <summary>A new random secret: 32 bytes, as hex.</summary>
    internal static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    private async Task StartWarmNodesAsync(int? requested)
    {
        var warm = requested ?? Settings.WarmNodes;
        var lazy = requested is null;
        if (warm < 0)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw new ArgumentOutOfRangeException(nameof(requested), warm, "WarmNodes (aio.node.warm-nodes) must be zero or more.");
        }

        if (warm > 0)
        {
            // Asked for: started now and kept. The default: started by the first process start, retired when idle.
            _warmNodes = lazy ? new WarmNodes(this, warm, Settings.WarmIdleTimeout) : new WarmNodes(this, warm);
        }
    }

    /// <summary>
    /// Joins the running coordinator at <paramref name="address"/> from this process (which was not spawned by it):
    /// a node of its own starts here and proves the coordinator's secret. Primitives created or received through the
    /// returned context live in that coordinator, so independently started programs can share them. Whatever this
    /// process holds is released when it dies (DeathWatch, about 2.5 s with the default failure detector); when the
    /// coordinator is lost, calls waiting in this process throw <see cref="CoordinatorLostException"/>.
    /// </summary>
    /// <param name="address">The coordinator's <see cref="Address"/>, e.g. <c>akka.tcp://aio@127.0.0.1:41234</c>.</param>
    /// <param name="secret">The coordinator's secret (<see cref="AioContextOptions.Secret"/>).</param>
    /// <param name="options">This process's node: bind address, port and HOCON; the rest is ignored.</param>
    /// <param name="ct">Stops waiting for the coordinator's answer.</param>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not an Akka address, or the secret is empty.</exception>
    /// <exception cref="UnauthorizedAccessException">The coordinator refused the secret.</exception>
    /// <exception cref="CoordinatorLostException">No coordinator answered at <paramref name="address"/>.</exception>
    public static async Task<AioContext> ConnectAsync(string address, string secret, AioContextOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        Address coordinator;
        try
        {
            coordinator = Akka.Actor.Address.Parse(address);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ArgumentException($"'{address}' is not a coordinator address such as akka.tcp://aio@127.0.0.1:41234: {ex.Message}", nameof(address), ex);
        }

        WorkerLauncher.LocateNodeProgramInBackground();

        if (coordinator.Host is null || coordinator.Port is null)
        {
            throw new ArgumentException($"'{address}' has no host and port; expected e.g. akka.tcp://aio@127.0.0.1:41234.", nameof(address));
        }

        options ??= new AioContextOptions();
        var hocon = options.EffectiveHocon();
        var node = await AioNode.StartAsync(new AioNodeSettings(options.SystemName, options.HostName, options.Port, ParseHocon(hocon), options.LoggerFactory, secret), ct: ct).ConfigureAwait(false);
        var context = new AioContext(node.System, coordinator, secret, hocon, ProbeDirectoriesOf(), node, Membership.Joined);
        try
        {
            var join = new Actors.Nodes.NodeProtocol.Join(CoordinatorLink.NextId(), Environment.ProcessId, secret, context.Member!);
            await context.Link.AskAsync<WaitProtocol.Ack>(context.NodeManager, join, (long)context.Settings.StartTimeout.TotalMilliseconds, cancellable: false, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await context.DisposeAsync().ConfigureAwait(false);
            if (ex is InvalidOperationException refused)
            {
                throw new UnauthorizedAccessException($"The coordinator at {address} refused this process: {refused.Message}", refused);
            }

            // A coordinator with another secret refuses the connection itself, before any message is read.
            if (Node.Security.NodeSecrets.RefusedBy(node.System, coordinator.Host, coordinator.Port.Value) is { } why)
            {
                throw new UnauthorizedAccessException($"The coordinator at {address} refused this process: {why} (wrong secret).", ex);
            }

            throw;
        }

        return context;
    }

    /// <summary>Ends this context's processes and, when it owns the coordinator, stops it.</summary>
    public void Dispose() => Blocking.Wait(() => DisposeAsync().AsTask());

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (DefaultLock)
        {
            if (ReferenceEquals(s_default, this))
            {
                s_default = null;
            }
        }

        if (_warmNodes is not null)
        {
            await _warmNodes.DisposeAsync().ConfigureAwait(false);
        }

        if (!_lost.IsCancellationRequested)
        {
            await Ledger.SettleQueuesAsync(Settings.JoinOnDisposeTimeout).ConfigureAwait(false);
        }

        // As Python at exit: daemon children are ended at once, the others get a bounded chance to finish.
        var processes = _processes.Keys.ToArray();
        foreach (var process in processes.Where(p => p.Daemon))
        {
            process.Kill();
        }

        await Task.WhenAll(processes.Where(p => !p.Daemon).Select(p => p.JoinAsync(Settings.JoinOnDisposeTimeout))).ConfigureAwait(false);
        // A process whose target finished is already shutting its node down; killing it would only cut that short.
        await Task.WhenAll(processes.Select(p => p.ExitedAsync(TimeSpan.FromSeconds(3)))).ConfigureAwait(false);
        foreach (var process in processes)
        {
            process.Kill();
        }

        await Task.WhenAll(processes.Select(p => p.ExitedAsync(TimeSpan.FromSeconds(5)))).ConfigureAwait(false);
        await _lost.CancelAsync().ConfigureAwait(false);
        Link.Dispose();
        if (_ownedNode is not null)
        {
            await _ownedNode.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Binds this process to the coordinator a worker node joined; the worker's default context from then on.</summary>
    internal static AioContext AttachWorker(WorkerEnvironment environment)
    {
        var bootstrap = environment.Bootstrap;
        var context = new AioContext(environment.System, environment.Coordinator, bootstrap.Secret, bootstrap.Config, bootstrap.ProbeDirectories, ownedNode: null, Membership.SpawnedWorker);
        context.BecomeDefaultIfNone();

        return context;
    }

    private static Config? ParseHocon(string? hocon)
    {
        try
        {
            return hocon is null ? null : ConfigurationFactory.ParseString(hocon);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ArgumentException("AioContextOptions.Hocon (or HoconFiles) does not parse: " + ex.Message, "options", ex);
        }
    }

    // A worker resolves what its own folder lacks (this library, the application's assemblies) from these.
    private static string[] ProbeDirectoriesOf() =>
        [.. new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(AioContext).Assembly.Location)! }
            .Select(Path.GetFullPath)
            .Distinct(StringComparer.Ordinal)];

    /// <summary>What a worker node launched for this context is handed on its standard input.</summary>
    /// <param name="nodeId">The id the node registers under.</param>
    /// <param name="ready">A warm node, launched ahead of need: it prepares before it registers.</param>
    internal WorkerBootstrap BootstrapFor(string nodeId, bool ready = false) =>
        new(Address, nodeId, Secret, typeof(WorkerExecutor).AssemblyQualifiedName!, ProbeDirectories, Hocon, ready);

    /// <summary>The OS process ids of the warm nodes that have joined and wait idle now.</summary>
    internal IReadOnlyList<int> ReadyWarmNodePids => _warmNodes?.ReadyPids ?? [];

    /// <summary>The coordinator's ids of the warm nodes that have joined and wait idle now.</summary>
    internal IReadOnlyList<string> ReadyWarmNodeIds => _warmNodes?.ReadyNodeIds ?? [];

    /// <summary>The warm nodes launched and not yet taken or retired, ready or still joining.</summary>
    internal int WarmNodesLaunched => _warmNodes?.Launched ?? 0;

    /// <summary>How many warm nodes have joined and become ready since the context started.</summary>
    internal int WarmNodesJoined => _warmNodes?.Joined ?? 0;

    /// <summary>Takes a warm node that has joined and waits idle, if the context keeps any.</summary>
    internal bool TryTakeWarmNode(out WarmNode node)
    {
        node = null!;
        return _warmNodes?.TryTake(out node) == true;
    }

    /// <summary>Launches the replacement of a warm node taken by <see cref="TryTakeWarmNode"/>.</summary>
    internal void ReplenishWarmNodes() => _warmNodes?.Replenish();

    /// <summary>Whether this context was disposed or lost its coordinator.</summary>
    internal bool IsDisposedOrLost => Volatile.Read(ref _disposed) != 0 || _lost.IsCancellationRequested;

    /// <summary>Fires when this context can no longer hold anything: its coordinator is lost, or it was disposed.</summary>
    internal CancellationToken LostToken => _lost.Token;

    // Every call waiting for an answer fails now instead of at its deadline, and so does every later one.
    private void OnCoordinatorLost(string why)
    {
        _lost.Cancel();
        Link.Inbox.Abandon(new NoReplyException($"Coordinator {CoordinatorAddress} lost: {why}."));
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Forwards to <see cref="PrimitiveDirectory.CreatePrimitiveAsync"/>; kept because the specs create primitives through the context.</summary>
    internal Task<IActorRef> CreatePrimitiveAsync(PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, bool findOnly = false, string? shape = null, bool exclusive = false, CancellationToken ct = default) =>
        Primitives.CreatePrimitiveAsync(kind, argument, argument2, payload, name, findOnly, shape, exclusive, ct);

    internal IActorRef ResolveActor(string path) => ((ExtendedActorSystem)System).Provider.ResolveActorRef(path);

    internal string PathOf(IActorRef actor) => actor.Path.ToSerializationFormatWithAddress(LocalAddress);

    internal void Track(AioProcess process) => _processes.TryAdd(process, 0);

    internal void Untrack(AioProcess process) => _processes.TryRemove(process, out _);
}
