// AioProcessing in a generic-host application: the coordinator starts and stops with the host, its options come
// from appsettings.json (section "AioProcessing"), its logs go to the host's ILogger, and services get the
// AioContext by constructor injection.
using AioProcessing;
using AioProcessing.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// appsettings.json is read from beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddAioProcessing(builder.Configuration.GetSection("AioProcessing"));
builder.Services.AddHostedService<SquaresJob>();
await builder.Build().RunAsync();

/// <summary>Squares numbers in a pool of worker processes, then streams them through a queue fed by a child process.</summary>
internal sealed class SquaresJob(AioContext context, IHostApplicationLifetime lifetime, ILogger<SquaresJob> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using (var pool = new AioPool(2, context: context))
            {
                var squares = await pool.MapAsync(Square, Enumerable.Range(1, 10), ct: stoppingToken);
                log.LogInformation("Squares from the pool: {Squares}", string.Join(", ", squares));
            }

            var queue = new AioQueue<int>(context: context);
            var producer = new AioProcess(context, Produce, queue, 5);
            await producer.StartAsync(stoppingToken);
            await foreach (var item in queue.ReadAllAsync(stoppingToken))
            {
                log.LogInformation("From process {Pid}: {Item}", producer.Pid, item);
            }

            await producer.JoinAsync(TimeSpan.FromSeconds(30), stoppingToken);
            log.LogInformation("Producer exited with {ExitCode}", producer.ExitCode);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private static int Square(int x) => x * x;

    private static void Produce(AioQueue<int> queue, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            queue.Put(i * 100);
        }

        queue.Complete();
    }
}
