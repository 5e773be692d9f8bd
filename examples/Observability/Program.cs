// AioProcessing's meter and activity source, read by OpenTelemetry with no code of the library's: AddMeter and
// AddSource with the names in AioInstrumentation, and the console exporter. `dotnet-counters monitor --counters
// AioProcessing -n Observability` reads the same meter from outside. docs/observability.md lists every instrument.
using AioProcessing;
using AioProcessing.Actors.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

using var tracing = Sdk.CreateTracerProviderBuilder()
    .AddSource(AioInstrumentation.ActivitySourceName)
    .AddConsoleExporter()
    .Build();
var meters = Sdk.CreateMeterProviderBuilder()
    .AddMeter(AioInstrumentation.MeterName)
    .AddConsoleExporter()
    .Build();

var queue = new AioQueue<int>();
var producer = new AioProcess(Produce, queue, 5);
await producer.StartAsync();
var sum = 0;
for (var i = 0; i < 5; i++)
{
    sum += await queue.GetAsync(TimeSpan.FromSeconds(30));
}

await producer.JoinAsync(TimeSpan.FromSeconds(30));

await using (var pool = new AioPool(2))
{
    var squares = await pool.MapAsync(Square, Enumerable.Range(1, 100));
    Console.WriteLine($"SUM {sum} SQUARES {squares.Sum()}");
}

var lck = new AioLock();
using (await lck.LockAsync(TimeSpan.FromSeconds(30)))
{
    await Task.Delay(10); // some work under the lock, for aio.lock.hold_time
}

// The release goes out without waiting for an answer; a question to the lock comes after it, so once it is answered
// the lock has recorded the hold time that the export below must include.
Console.WriteLine($"LOCKED {await lck.IsLockedAsync()}");

// Exports the metrics collected so far (the traces were exported as each span ended).
meters.Dispose();

static void Produce(AioQueue<int> q, int n)
{
    for (var i = 1; i <= n; i++)
    {
        q.Put(i);
    }
}

static long Square(int x) => (long)x * x;
