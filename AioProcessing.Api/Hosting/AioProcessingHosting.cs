using AioProcessing.Internal;
using AioProcessing.Node.Hosting;
using AioProcessing.Node.Security;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AioProcessing.Hosting;

/// <summary>
/// AioProcessing in Microsoft.Extensions.Hosting applications: <see cref="AddAioProcessing(IServiceCollection, Action{AioContextOptions}?)"/>
/// starts a coordinator with the host and registers its <see cref="AioContext"/>; in an Akka.Hosting application,
/// <see cref="WithAioProcessing"/> makes the application's own actor system the coordinator instead.
/// </summary>
public static class AioProcessingHosting
{
    /// <summary>
    /// Registers an <see cref="AioContext"/> whose coordinator starts with the host (or when first resolved) and
    /// stops with it, logging to the host's <see cref="ILoggerFactory"/>. The context is also the process's
    /// <see cref="AioContext.Default"/> when there is none yet, so primitives made without a context use it.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options (after any bound from configuration).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddAioProcessing(this IServiceCollection services, Action<AioContextOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<AioContextOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<AioContextService>();
        services.AddHostedService(static sp => sp.GetRequiredService<AioContextService>());
        services.TryAddSingleton(static sp => sp.GetRequiredService<AioContextService>().Context);
        return services;
    }

    /// <summary>
    /// As <see cref="AddAioProcessing(IServiceCollection, Action{AioContextOptions}?)"/>, with the options bound
    /// from <paramref name="configuration"/> (e.g. the <c>AioProcessing</c> section of appsettings.json: <c>HostName</c>,
    /// <c>Port</c>, <c>SystemName</c>, <c>Secret</c>, <c>WarmNodes</c>, <c>Hocon</c>, <c>HoconFiles</c>, relative to the content root).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <param name="configure">Sets the options after binding.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddAioProcessing(this IServiceCollection services, IConfiguration configuration, Action<AioContextOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AioContextOptions>().Bind(configuration);
        return services.AddAioProcessing(configure);
    }

    /// <summary>
    /// Makes the application's own actor system the AioProcessing coordinator: the library's HOCON defaults go under
    /// the application's configuration, the coordinator's actors start in the system (registered in the
    /// <see cref="ActorRegistry"/> as <see cref="Actors.Nodes.NodeManager"/> and <see cref="Actors.Primitives.PrimitiveHost"/>),
    /// and <see cref="AioContext.Of"/> gives its context. The system needs remoting (<c>.WithRemoting(...)</c>), so that
    /// worker processes can join it; it is not started twice. Of the options, <see cref="AioContextOptions.Secret"/>,
    /// <see cref="AioContextOptions.WarmNodes"/>, <see cref="AioContextOptions.Hocon"/> and
    /// <see cref="AioContextOptions.HoconFiles"/> apply; the system's own settings decide the rest.
    /// </summary>
    /// <param name="builder">The application's Akka.Hosting configuration.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static AkkaConfigurationBuilder WithAioProcessing(this AkkaConfigurationBuilder builder, Action<AioContextOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new AioContextOptions();
        configure?.Invoke(options);
        options.Secret ??= AioContext.NewSecret();
        // Every association of the system proves the secret first (over the application's settings: it cannot be turned off).
        builder.AddHocon(NodeSecrets.Configure(options.Secret), HoconAddMode.Prepend);
        if (options.EffectiveHocon() is { } hocon)
        {
            builder.AddHocon(ConfigurationFactory.ParseString(hocon), HoconAddMode.Append);
        }

        // Under the application's own settings: its loggers, remoting and everything it sets win. The coordinator
        // starts with the system, or earlier when something resolves AioContext.Of(system) first.
        return builder.AddHocon(AttachedContext.Reserve(options), HoconAddMode.Append)
            .AddHocon(AioHocon.Library, HoconAddMode.Append)
            .WithActors((system, _) => AioContext.Of(system));
    }

    /// <summary>
    /// Registers the <see cref="AioContext"/> of the application's own actor system (see <see cref="WithAioProcessing"/>)
    /// in <paramref name="services"/>, for constructor injection.
    /// </summary>
    /// <param name="services">The host's services, where Akka.Hosting registered the <see cref="ActorSystem"/>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddAioContextOfActorSystem(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(static sp => AioContext.Of(sp.GetRequiredService<ActorSystem>()));
        return services;
    }

    /// <summary>Starts the coordinator with the host (or when the context is first resolved) and stops it with the host.</summary>
    private sealed class AioContextService(IOptions<AioContextOptions> options, ILoggerFactory? loggerFactory = null, IHostEnvironment? environment = null) : IHostedService
    {
        private readonly Lock _gate = new();
        private Task<AioContext>? _starting;

        public AioContext Context => Blocking.Wait(StartOnce);

        public Task StartAsync(CancellationToken cancellationToken) => StartOnce();

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            Task<AioContext>? starting;
            lock (_gate)
            {
                starting = _starting;
            }

            if (starting is not null)
            {
                await (await starting.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
        }

        private Task<AioContext> StartOnce()
        {
            lock (_gate)
            {
                return _starting ??= StartContextAsync();
            }
        }

        private async Task<AioContext> StartContextAsync()
        {
            var settings = options.Value;
            settings.LoggerFactory ??= loggerFactory;
            if (environment is not null)
            {
                // Relative HOCON files are the application's, beside its appsettings.json.
                for (var i = 0; i < settings.HoconFiles.Count; i++)
                {
                    settings.HoconFiles[i] = Path.GetFullPath(settings.HoconFiles[i], environment.ContentRootPath);
                }
            }

            var context = await AioContext.StartAsync(settings).ConfigureAwait(false);
            context.BecomeDefaultIfNone();
            return context;
        }
    }
}
