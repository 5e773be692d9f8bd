using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// The smallest host Akka.Hosting runs in: a service provider, its hosted services started in order and stopped in
/// reverse, and a lifetime that leaves the process's signals to the process (a node lives inside someone else's
/// program, so it must not take over Ctrl+C or SIGTERM). Not Microsoft.Extensions.Hosting's generic host: that
/// package would bring its default builder's configuration, file and logging providers (19 packages) into every
/// application that uses the library, for nothing a node uses.
/// </summary>
internal sealed class EmbeddedHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _started = [];
    private readonly Lifetime _lifetime;

    private EmbeddedHost(ServiceProvider services, Lifetime lifetime)
    {
        _services = services;
        _lifetime = lifetime;
    }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _services;

    /// <summary>
    /// Builds the provider from <paramref name="configure"/>, with logging through <paramref name="loggerFactory"/>
    /// (none when null), and starts every hosted service.
    /// </summary>
    public static async Task<EmbeddedHost> StartAsync(Action<IServiceCollection> configure, ILoggerFactory? loggerFactory, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        var lifetime = new Lifetime();
        services.AddSingleton<IHostApplicationLifetime>(lifetime);
        configure(services);
        var host = new EmbeddedHost(services.BuildServiceProvider(), lifetime);
        try
        {
            foreach (var service in host._services.GetServices<IHostedService>())
            {
                await service.StartAsync(ct).ConfigureAwait(false);
                host._started.Add(service);
            }

            lifetime.Started();
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the hosted services, last started first.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        _lifetime.Stopping();
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync(ct).ConfigureAwait(false);
        }

        _started.Clear();
        _lifetime.Stopped();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    // Akka.Hosting asks the lifetime to stop the application when its actor system ends on its own; for a node that
    // only marks it stopping: the node's owner sees the system terminate and decides what the process does.
    private sealed class Lifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _started = new();
        private readonly CancellationTokenSource _stopping = new();
        private readonly CancellationTokenSource _stopped = new();

        public CancellationToken ApplicationStarted => _started.Token;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => _stopped.Token;

        public void StopApplication() => Stopping();

        public void Started() => Cancel(_started);

        public void Stopping() => Cancel(_stopping);

        public void Stopped() => Cancel(_stopped);

        public void Dispose()
        {
            _started.Dispose();
            _stopping.Dispose();
            _stopped.Dispose();
        }

        private static void Cancel(CancellationTokenSource source)
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
