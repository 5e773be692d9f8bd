// AioProcessing inside an Akka.Hosting application's own actor system, used from an actor by message passing:
// the actor never blocks a thread. It takes a lock (it receives WaitProtocol.Result when granted), takes items a
// child process put in a queue (QueueActor.Taken), has a pool square their sum (PoolActor.ChunkDone), and releases
// the lock. See docs/actor-protocol.md.
using AioProcessing;
using AioProcessing.Actors.Primitives;
using AioProcessing.Hosting;
using Akka.Actor;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// appsettings.json is read from beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddAkka("shop", akka => akka
    .ConfigureLoggers(logs => logs.ClearLoggers().AddLoggerFactory())       // Akka's log to the host's ILogger
    .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })   // workers join this system over loopback
    .WithAioProcessing());                                                  // this system is the coordinator
builder.Services.AddAioContextOfActorSystem();
builder.Services.AddHostedService<Demo>();
await builder.Build().RunAsync();

/// <summary>Sets the scene: a child process fills a queue; the actor does the rest.</summary>
internal sealed class Demo(ActorSystem system, AioContext context, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var ledger = new AioLock(context);
            var orders = new AioQueue<int>(context: context);
            await using var pool = new AioPool(1, context: context);
            var filler = new AioProcess(context, Fill, orders);
            await filler.StartAsync(stoppingToken);

            var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(Props.Create(() => new Accountant(ledger, orders, pool, done)), "accountant");
            Console.WriteLine(await done.Task.WaitAsync(TimeSpan.FromSeconds(60), stoppingToken));
            await filler.JoinAsync(TimeSpan.FromSeconds(30), stoppingToken);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private static void Fill(AioQueue<int> orders)
    {
        foreach (var amount in new[] { 3, 4, 5 })
        {
            orders.Put(amount);
        }
    }
}

/// <summary>An actor that uses a lock, a queue and a pool by their message protocols, one step per message.</summary>
internal sealed class Accountant : ReceiveActor
{
    private const long LockRequest = 1, TakeRequest = 2, ApplyRequest = 3, ReleaseRequest = 4;

    public Accountant(AioLock ledger, AioQueue<int> orders, AioPool pool, TaskCompletionSource<string> done)
    {
        var taken = new List<int>();
        var answer = 0L;

        // 1. Ask for the lock: the answer comes when it is granted (or after the timeout).
        ledger.Actor.Tell(new LockActor.Acquire(LockRequest, TimeoutMs: 10_000));

        Receive<WaitProtocol.Result>(r => r.RequestId == LockRequest, r =>
        {
            if (r.Outcome != WaitProtocol.Outcome.Granted)
            {
                done.SetException(new TimeoutException("the ledger lock was not granted"));
                return;
            }

            // 2. Holding the lock: take up to three orders, waiting up to 10 s for them.
            orders.Actor.Tell(new QueueActor.Take(TakeRequest, Max: 3, TimeoutMs: 10_000, Prefetch: false, Consumed: 0));
        });

        Receive<QueueActor.Taken>(t => t.RequestId == TakeRequest, t =>
        {
            taken.AddRange(t.Items.Select(orders.DecodeItem));
            if (taken.Count < 3 && t.Outcome == WaitProtocol.Outcome.Granted)
            {
                orders.Actor.Tell(new QueueActor.Take(TakeRequest, 3 - taken.Count, 10_000, Prefetch: false, Consumed: 0));
                return;
            }

            // 3. Have a worker process square the sum.
            pool.Actor.Tell(new PoolActor.Submit(ApplyRequest, 1, pool.EncodeApply(Square, taken.Sum())));
        });

        Receive<PoolActor.ChunkDone>(d => d.RequestId == ApplyRequest, d =>
        {
            answer = pool.DecodeApply<long>(d);
            // 4. Release the lock; its acknowledgement ends the story.
            ledger.Actor.Tell(new LockActor.Release(ReleaseRequest));
        });

        Receive<WaitProtocol.Ack>(a => a.RequestId == ReleaseRequest, _ =>
        {
            done.SetResult($"Orders {string.Join(" + ", taken)} = {taken.Sum()}; squared by a worker process: {answer}");
            Context.Stop(Self);
        });
    }

    private static long Square(int x) => (long)x * x;
}
