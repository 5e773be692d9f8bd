using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AioProcessing.Node.Hosting;

/// <summary>How to start one node.</summary>
/// <param name="SystemName">The actor system's name; every node of one coordinator uses the same.</param>
/// <param name="HostName">The address to bind.</param>
/// <param name="Port">The port to bind; 0 picks a free one.</param>
/// <param name="Config">HOCON layered over the defaults of <c>hocon/aio-node.conf</c>, or null.</param>
/// <param name="LoggerFactory">Where the engine's and the library's logs go; null keeps <c>akka.loggers</c> (standard error).</param>
/// <param name="Secret">
/// The coordinator's secret: every association of this node, in and out, must prove it before anything it carries is
/// read (<see cref="Security.AuthenticatingTransport"/>). Null only for nodes that talk to no AioProcessing peer.
/// </param>
public sealed record AioNodeSettings(string SystemName = AioNode.DefaultSystemName, string HostName = "127.0.0.1", int Port = 0, Config? Config = null, ILoggerFactory? LoggerFactory = null, string? Secret = null);

/// <summary>
/// One running node: an actor system with remoting. The coordinator (inside the user's process) and every worker node
/// are started through here: a node with a logger factory or actors to register is hosted with Akka.Hosting in a
/// minimal host (<see cref="EmbeddedHost"/>); one without either, as every worker, is its actor system alone.
/// </summary>
public sealed class AioNode : IAsyncDisposable
{
    /// <summary>The actor system name used unless configured otherwise.</summary>
    public const string DefaultSystemName = "aio";

    // Null for a node started without Akka.Hosting (see StartBare).
    private readonly EmbeddedHost? _host;

    private AioNode(EmbeddedHost? host, ActorSystem system)
    {
        _host = host;
        System = system;
        Address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
    }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The address other nodes reach this one at, with the port actually bound.</summary>
    public Address Address { get; }

    /// <summary>Starts a node and returns once its remoting listens.</summary>
    public static async Task<AioNode> StartAsync(AioNodeSettings settings, Action<AkkaConfigurationBuilder>? configure = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        NettyLeakDetection.DisableUnlessConfigured();
        var config = settings.Config is null ? AioHocon.Defaults : settings.Config.WithFallback(AioHocon.Defaults);
        if (settings.Secret is not null)
        {
            // Over everything else: no HOCON can turn authentication off for a node that has a secret.
            config = Security.NodeSecrets.Configure(settings.Secret).WithFallback(config);
        }

        RefuseUnsafeBind(settings, config);

        var loggerFactory = settings.LoggerFactory is { } factory
            ? new QuietLoggerFactory(factory, config.GetBoolean("aio.log.quiet-disassociations"), LogThrottle.IntervalOf(config))
            : null;

        // Bounded: a node whose remoting cannot start (a bad transport setting) would otherwise never finish starting.
        var starting = configure is null && loggerFactory is null
            ? Task.Run(() => StartBare(settings, config), ct)
            : StartHostedAsync(settings, config, loggerFactory, configure, ct);
        try
        {
            return await starting.WaitAsync(config.GetTimeSpan("aio.node.start-timeout"), ct).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            // Should it start after all, nothing may keep running: the caller has been told it failed.
            _ = starting.ContinueWith(static started => started.Result.DisposeAsync().AsTask(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw new InvalidOperationException($"The node '{settings.SystemName}' did not start within aio.node.start-timeout; its remoting failed to start (see its log).", ex);
        }
    }

    /// <summary>
    /// Starts a coordinator node: a node that also hosts the <see cref="NodeManager"/> (admitting worker nodes that
    /// present <paramref name="secret"/>) and the <see cref="PrimitiveHost"/>.
    /// </summary>
    public static Task<AioNode> StartCoordinatorAsync(AioNodeSettings settings, string secret, CancellationToken ct = default) =>
        StartAsync(settings with { Secret = secret }, akka => akka.WithActors((system, registry) => StartCoordinatorActors(system, registry, secret)), ct);

    /// <summary>
    /// Starts the coordinator's actors in <paramref name="system"/>, which must have remoting, and registers them
    /// in <paramref name="registry"/> under <see cref="NodeManager"/> and <see cref="PrimitiveHost"/>, and opens its
    /// same-host lane (<c>aio.lane.enabled</c>), closed when the system terminates.
    /// </summary>
    public static void StartCoordinatorActors(ActorSystem system, IActorRegistry registry, string secret)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(registry);
        NettyLeakDetection.DisableUnlessConfigured();
        var nodeManager = system.ActorOf(NodeManager.Props(secret), NodeManager.Name);
        registry.Register<NodeManager>(nodeManager);
        registry.Register<PrimitiveHost>(system.ActorOf(PrimitiveHost.Props(), PrimitiveHost.Name));
        Lane.LaneListener.Start((ExtendedActorSystem)system, secret, nodeManager);
    }

    // A node that needs nothing of Akka.Hosting (no actors registered through it, no logger factory), as every worker
    // is: its actor system alone, on the same HOCON. No service provider, no Microsoft.Extensions or Akka.Hosting
    // assemblies loaded, and not ActorSystem.Create(name, setup), which reads app.config through
    // System.Configuration (and so System.Private.Xml) even when the setup carries the config: together about
    // 8 MB of an idle worker's memory and part of its start.
    private static AioNode StartBare(AioNodeSettings settings, Config config) =>
        new(null, ActorSystem.Create(settings.SystemName, RemoteBinding(settings).WithFallback(config)));

    private static async Task<AioNode> StartHostedAsync(AioNodeSettings settings, Config config, ILoggerFactory? loggerFactory, Action<AkkaConfigurationBuilder>? configure, CancellationToken ct)
    {
        void AddNode(IServiceCollection services) => services.AddAkka(settings.SystemName, akka =>
        {
            akka.AddHocon(RemoteBinding(settings).WithFallback(config), HoconAddMode.Prepend);
            if (loggerFactory is not null)
            {
                akka.ConfigureLoggers(loggers => loggers.ClearLoggers().AddLoggerFactory());
            }

            configure?.Invoke(akka);
        });

        var host = await EmbeddedHost.StartAsync(AddNode, loggerFactory, ct).ConfigureAwait(false);
        return new AioNode(host, host.Services.GetRequiredService<ActorSystem>());
    }

    // The address to bind, over everything else (what Akka.Remote.Hosting's WithRemoting writes for these two).
    private static Config RemoteBinding(AioNodeSettings settings) =>
        ConfigurationFactory.ParseString($"akka.remote.dot-netty.tcp {{ hostname = \"{settings.HostName}\", port = {settings.Port} }}");

    /// <summary>
    /// Loopback is the default. A node bound to any other address is reachable by other machines, so it must prove a
    /// secret on every association and encrypt its traffic (TLS, <c>akka.remote.dot-netty.tcp.enable-ssl</c>), unless
    /// <c>aio.security.allow-plaintext-remote = on</c> says the network itself is trusted.
    /// </summary>
    /// <exception cref="InvalidOperationException">The bind address is not loopback and the node lacks a secret or TLS.</exception>
    private static void RefuseUnsafeBind(AioNodeSettings settings, Config config)
    {
        if (IsLoopback(settings.HostName))
        {
            return;
        }

        if (settings.Secret is null)
        {
            throw new InvalidOperationException($"Refusing to bind {settings.HostName}: a node reachable from other machines must have a secret, and this one has none. Bind 127.0.0.1, or give the node its coordinator's secret.");
        }

        if (!config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl") && !config.GetBoolean("aio.security.allow-plaintext-remote"))
        {
            throw new InvalidOperationException($"Refusing to bind {settings.HostName} without TLS: other machines could read every message. Enable TLS (akka.remote.dot-netty.tcp.enable-ssl = on with a certificate; docs/security.md), bind 127.0.0.1, or set aio.security.allow-plaintext-remote = on if the network itself is private.");
        }
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (global::System.Net.IPAddress.TryParse(host, out var ip) && global::System.Net.IPAddress.IsLoopback(ip));

    /// <summary>Stops the node: coordinated shutdown of the actor system, bounded by <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (_host is not null)
            {
                await _host.StopAsync(cts.Token).ConfigureAwait(false);
            }
            else
            {
                // What Akka.Hosting's hosted service does when its host stops.
                await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Past the bound the process goes on without waiting; the system's threads do not keep it alive.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (_host is not null)
        {
            await _host.DisposeAsync().ConfigureAwait(false);
        }
    }
}
