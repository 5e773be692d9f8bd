using System.Collections.Concurrent;
using System.Security.Cryptography;
using AioProcessing.Actors.Client;
using AioProcessing.Actors.Primitives;
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
    private readonly ConcurrentDictionary<IActorRef, int> _grants = new();
    private readonly ConcurrentDictionary<ActorPath, RLockOwnership> _rlocks = new();
    private readonly ConcurrentDictionary<ActorPath, QueueChannel> _queues = new();
    private long _unsentPuts;
    private long _unreportedTakes;
    private readonly CancellationTokenSource _lost = new();
    private int _disposed;

    private AioContext(ActorSystem system, Address coordinator, string secret, string? hocon, IReadOnlyList<string> probeDirectories, AioNode? ownedNode, Membership membership)
    {
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
        PrimitiveHost = ResolveActor(coordinator + Actors.Primitives.PrimitiveHost.Path);
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

    internal IActorRef PrimitiveHost { get; }

    /// <summary>Everything this process sends to its coordinator, and the answers (<see cref="CoordinatorLink"/>).</summary>
    internal CoordinatorLink Link { get; }

    /// <summary>Starts a coordinator in this process.</summary>
    /// <exception cref="ArgumentException">The options' HOCON does not parse.</exception>
    public static async Task<AioContext> StartAsync(AioContextOptions? options = null, CancellationToken ct = default)
    {
        options ??= new AioContextOptions();
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
        if (!AttachedContextProvider.IsConfigured(system))
        {
            throw new InvalidOperationException($"The actor system '{system.Name}' has no AioProcessing coordinator: add .WithAioProcessing() to its Akka.Hosting configuration.");
        }

        return system.WithExtension<AttachedContext, AttachedContextProvider>().Context;
    }

    /// <summary>
    /// Keeps <paramref name="options"/> for the actor system that will be configured with the returned HOCON, whose
    /// context <see cref="Of"/> then creates: the options (and the secret in them) never enter the configuration.
    /// </summary>
    internal static string ReserveAttachment(AioContextOptions options)
    {
        var token = Guid.NewGuid().ToString("N");
        AttachedContextProvider.Pending[token] = options;
        return $"aio.coordinator.attachment = \"{token}\"";
    }

    /// <summary>
    /// Makes <paramref name="system"/> (with remoting) a coordinator: starts its actors, and returns its context,
    /// stopped when the system shuts down and the process's default when it has none yet.
    /// </summary>
    /// <exception cref="InvalidOperationException">The system has no remoting, so no worker could join it.</exception>
    private static AioContext AttachCoordinator(ActorSystem system, AioContextOptions options)
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
            await SettleQueuesAsync(Settings.JoinOnDisposeTimeout).ConfigureAwait(false);
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

    /// <summary>Holds the context attached to an application's own actor system (<see cref="Of"/>).</summary>
    private sealed class AttachedContext(AioContext context) : IExtension
    {
        public AioContext Context { get; } = context;
    }

    private sealed class AttachedContextProvider : ExtensionIdProvider<AttachedContext>
    {
        private const string Key = "aio.coordinator.attachment";

        public static readonly ConcurrentDictionary<string, AioContextOptions> Pending = new(StringComparer.Ordinal);

        public static bool IsConfigured(ActorSystem system) => system.Settings.Config.HasPath(Key);

        public override AttachedContext CreateExtension(ExtendedActorSystem system)
        {
            var token = system.Settings.Config.GetString(Key);
            var options = Pending.TryGetValue(token, out var reserved) ? reserved : new AioContextOptions();
            return new AttachedContext(AttachCoordinator(system, options));
        }
    }

    // A worker resolves what its own folder lacks (this library, the application's assemblies) from these.
    private static string[] ProbeDirectoriesOf() =>
        [.. new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(AioContext).Assembly.Location)! }
            .Select(Path.GetFullPath)
            .Distinct(StringComparer.Ordinal)];

    /// <summary>What a worker node launched for this context is handed on its standard input.</summary>
    internal WorkerBootstrap BootstrapFor(string nodeId) =>
        new(Address, nodeId, Secret, typeof(WorkerExecutor).AssemblyQualifiedName!, ProbeDirectories, Hocon);

    /// <summary>The OS process ids of the warm nodes that have joined and wait idle now.</summary>
    internal IReadOnlyList<int> ReadyWarmNodePids => _warmNodes?.ReadyPids ?? [];

    /// <summary>The coordinator's ids of the warm nodes that have joined and wait idle now.</summary>
    internal IReadOnlyList<string> ReadyWarmNodeIds => _warmNodes?.ReadyNodeIds ?? [];

    /// <summary>The warm nodes launched and not yet taken or retired, ready or still joining.</summary>
    internal int WarmNodesLaunched => _warmNodes?.Launched ?? 0;

    /// <summary>Takes a warm node that has joined and waits idle, if the context keeps any.</summary>
    internal bool TryTakeWarmNode(out WarmNode node)
    {
        node = null!;
        return _warmNodes?.TryTake(out node) == true;
    }

    /// <summary>This process's end of the queue actor <paramref name="actor"/>, shared by all its facades here.</summary>
    internal QueueChannel QueueChannelOf(IActorRef actor) => _queues.GetOrAdd(actor.Path, static (_, state) => new QueueChannel(state.Context, state.Actor), (Context: this, Actor: actor));

    /// <summary>Counts puts that wait in a <see cref="QueueChannel"/> behind the batch in flight (negative: sent).</summary>
    internal void CountUnsentPuts(int delta) => Interlocked.Add(ref _unsentPuts, delta);

    internal void CountUnreportedTakes(int delta) => Interlocked.Add(ref _unreportedTakes, delta);

    /// <summary>
    /// Sends, now, every put of this process that still waits behind a batch in flight, and reports every take not
    /// reported yet. Called before anything else goes to the coordinator (a request, a release): what that message
    /// lets happen, such as another process taking the lock or seeing the event, then comes after the items put and
    /// the items taken, as it would with Python's queues in one process.
    /// </summary>
    internal void SendPendingQueueTraffic()
    {
        var puts = Interlocked.Read(ref _unsentPuts) != 0;
        var takes = Interlocked.Read(ref _unreportedTakes) != 0;
        if (!puts && !takes)
        {
            return;
        }

        foreach (var channel in _queues.Values)
        {
            if (puts)
            {
                channel.SendUnsent();
            }

            if (takes)
            {
                channel.ReportTakesNow();
            }
        }
    }

    /// <summary>
    /// Delivers what this process put and gives back what it fetched and did not take, for every queue it used:
    /// before a worker's target reports its end, and when a context is disposed.
    /// </summary>
    internal async Task SettleQueuesAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        foreach (var channel in _queues.Values)
        {
            try
            {
                await channel.FlushAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or CoordinatorLostException)
            {
                // Reported to the putter by its own later calls; ending the process must go on.
            }

            channel.GiveBack();
        }

        // A worker's exit report goes on Akka.Remote: what went ahead on the lane must reach its actors first.
        await Link.DrainAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Whether this context was disposed or lost its coordinator.</summary>
    internal bool IsDisposedOrLost => Volatile.Read(ref _disposed) != 0 || _lost.IsCancellationRequested;

    /// <summary>Fires when this context can no longer hold anything: its coordinator is lost, or it was disposed.</summary>
    internal CancellationToken LostToken => _lost.Token;

    /// <summary>The holds of the reentrant lock <paramref name="actor"/> in this process, shared by all its facades.</summary>
    internal RLockOwnership OwnershipOf(IActorRef actor) => _rlocks.GetOrAdd(actor.Path, static _ => new RLockOwnership());

    // Every call waiting for an answer fails now instead of at its deadline, and so does every later one.
    private void OnCoordinatorLost(string why)
    {
        _lost.Cancel();
        Link.Inbox.Abandon(new NoReplyException($"Coordinator {CoordinatorAddress} lost: {why}."));
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Creates a primitive actor in the coordinator, as a child of its primitive host (see <see cref="Actors.Primitives.PrimitiveHost"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> belongs to a primitive of another kind.</exception>
    internal IActorRef CreatePrimitive(PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, string? shape = null, bool exclusive = false) =>
        Blocking.Wait(() => CreatePrimitiveAsync(kind, argument, argument2, payload, name, shape: shape, exclusive: exclusive));

    /// <exception cref="ArgumentException"><paramref name="name"/> belongs to a primitive of another kind.</exception>
    /// <exception cref="SynchronizationLockException">With <paramref name="findOnly"/>: there is no primitive of that name.</exception>
    internal async Task<IActorRef> CreatePrimitiveAsync(PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, bool findOnly = false, string? shape = null, bool exclusive = false, CancellationToken ct = default) =>
        (await CreateOrFindAsync(kind, argument, argument2, payload, name, findOnly, shape, exclusive, ct).ConfigureAwait(false)).Actor;

    /// <summary>As <see cref="CreatePrimitiveAsync"/>, and whether the primitive is new (false: a named one was found).</summary>
    /// <remarks>
    /// A named typed primitive found with another <c>shape</c> (<see cref="Serialization.TypeShape"/>) is refused; with
    /// <c>exclusive</c>, a name that exists at all is refused (<see cref="IOException"/>: in use).
    /// </remarks>
    internal async Task<PrimitiveHost.Created> CreateOrFindAsync(PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, bool findOnly = false, string? shape = null, bool exclusive = false, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        try
        {
            return await Link.AskAsync<PrimitiveHost.Created>(PrimitiveHost, new PrimitiveHost.Create(CoordinatorLink.NextId(), kind, argument, argument2, payload, name, findOnly, shape, exclusive), ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (name is not null)
        {
            throw new ArgumentException($"Cannot create {kind} '{name}': {ex.Message}.", nameof(name), ex);
        }
    }

    internal IActorRef ResolveActor(string path) => ((ExtendedActorSystem)System).Provider.ResolveActorRef(path);

    internal string PathOf(IActorRef actor) => actor.Path.ToSerializationFormatWithAddress(LocalAddress);

    /// <summary>Notes that this process was granted <paramref name="actor"/>'s lock (or a permit of it).</summary>
    internal void NoteGrant(IActorRef actor) => _grants.AddOrUpdate(actor, 1, static (_, n) => n + 1);

    /// <summary>
    /// Takes back one grant this process noted for <paramref name="actor"/>; false when it holds none. A release
    /// of something this process holds cannot fail, so it needs no answer (and no round trip).
    /// </summary>
    internal bool TryTakeGrant(IActorRef actor)
    {
        while (_grants.TryGetValue(actor, out var held) && held > 0)
        {
            if (_grants.TryUpdate(actor, held - 1, held))
            {
                return true;
            }
        }

        return false;
    }

    internal void Track(AioProcess process) => _processes.TryAdd(process, 0);

    internal void Untrack(AioProcess process) => _processes.TryRemove(process, out _);
}
