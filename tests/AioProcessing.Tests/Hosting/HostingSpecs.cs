using AioProcessing.Actors.Primitives;
using AioProcessing.Hosting;
using AioProcessing.Tests.Support;
using Akka.Actor;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace AioProcessing.Tests.Hosting;

/// <summary>AioProcessing in generic-host applications and in an Akka.Hosting application's own actor system, with real worker processes.</summary>
public sealed class HostingSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task AddAioProcessing_binds_options_from_configuration_runs_processes_and_logs_to_the_hosts_ILogger()
    {
        var hoconFile = Path.Combine(Path.GetTempPath(), $"aio-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(hoconFile, "aio.pool.max-retries = 4\naio.queue.prefetch = 17");
        try
        {
            var logs = new CapturingLoggerProvider();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AioProcessing:SystemName"] = "hosted",
                ["AioProcessing:HoconFiles:0"] = hoconFile,
                ["AioProcessing:Hocon"] = "aio.pool.max-retries = 5",
            });
            builder.Logging.AddProvider(logs);
            builder.Services.AddAioProcessing(builder.Configuration.GetSection("AioProcessing"));
            using var host = builder.Build();
            await host.StartAsync();
            var context = host.Services.GetRequiredService<AioContext>();

            Assert.True(context.IsCoordinator);
            Assert.StartsWith("akka.tcp://hosted@127.0.0.1:", context.Address, StringComparison.Ordinal);
            Assert.Equal(5, context.Settings.PoolMaxRetries);   // Hocon over the files
            Assert.Equal(17, context.Settings.QueuePrefetch);   // the file over the defaults

            var queue = new AioQueue<int>(context: context);
            var child = new AioProcess(context, PutSeven, queue);
            await child.StartAsync();
            Assert.Equal(7, await queue.GetAsync(Bounds.Remote));
            Assert.True(await child.JoinAsync(Bounds.Remote));

            // The coordinator's own log (an association refused for its secret) reaches the host's ILogger.
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => AioContext.ConnectAsync(context.Address, "wrong", new AioContextOptions { SystemName = "hosted" }));
            // Akka logs through its logger actor: the entry may land just after the refusal reached the caller.
            Assert.True(
                await logs.AppearsAsync("does not know the coordinator's secret", Bounds.Remote),
                "the coordinator's refusal never reached the host's ILogger:\n" + string.Join("\n", logs.Entries));

            await host.StopAsync();
            Assert.Throws<ObjectDisposedException>(() => new AioLock(context));
        }
        finally
        {
            File.Delete(hoconFile);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task WithAioProcessing_makes_the_applications_own_actor_system_the_coordinator_usable_from_actors()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("app", akka => akka
            .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })
            .WithAioProcessing(o => o.Hocon = "aio.pool.max-retries = 6"));
        builder.Services.AddAioContextOfActorSystem();
        using var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var context = host.Services.GetRequiredService<AioContext>();

        Assert.Same(context, AioContext.Of(system));
        Assert.Equal(((ExtendedActorSystem)system).Provider.DefaultAddress.ToString(), context.Address);
        Assert.Equal(6, context.Settings.PoolMaxRetries);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Assert.True(registry.TryGet<PrimitiveHost>(out var primitiveHost));
        Assert.Equal(PrimitiveHost.Name, primitiveHost.Path.Name);

        // The lock's protocol, by messages: granted, then a second request times out, then a release.
        var ledger = new AioLock(context);
        Assert.Equal(WaitProtocol.Outcome.Granted, (await ledger.Actor.Ask<WaitProtocol.Result>(new LockActor.Acquire(1, 1000), Bounds.Remote)).Outcome);
        Assert.Equal(WaitProtocol.Outcome.TimedOut, (await ledger.Actor.Ask<WaitProtocol.Result>(new LockActor.Acquire(2, 100), Bounds.Remote)).Outcome);
        Assert.IsType<WaitProtocol.Ack>(await ledger.Actor.Ask<object>(new LockActor.Release(3), Bounds.Remote));
        Assert.True(await ledger.AcquireAsync(TimeSpan.FromSeconds(5)));

        // The queue's protocol: a worker process puts, an actor takes and decodes.
        var queue = new AioQueue<int>(context: context);
        var child = new AioProcess(context, PutSeven, queue);
        await child.StartAsync();
        var taken = await queue.Actor.Ask<QueueActor.Taken>(new QueueActor.Take(4, 1, 30_000, Prefetch: false, Consumed: 0), Bounds.Remote);
        Assert.Equal([7], taken.Items.Select(queue.DecodeItem));

        // The pool's protocol: submit an encoded call, decode the answer.
        await using var pool = new AioPool(1, context: context);
        var done = await pool.Actor.Ask<PoolActor.ChunkDone>(new PoolActor.Submit(5, 1, pool.EncodeApply(Triple, 14)), Bounds.Remote);
        Assert.Equal(42, pool.DecodeApply<int>(done));
        Assert.True(await child.JoinAsync(Bounds.Remote));

        await host.StopAsync();
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task WithAioProcessing_without_remoting_says_what_is_missing()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("app-local", akka => akka.AddHocon("akka.actor.provider = local", HoconAddMode.Prepend).WithAioProcessing());
        using var host = builder.Build();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        Assert.Contains("needs Akka.Remote", (ex.InnerException ?? ex).Message + ex.Message, StringComparison.Ordinal);
    }

    private static void PutSeven(AioQueue<int> queue) => queue.Put(7);

    private static int Triple(int x) => 3 * x;
}
