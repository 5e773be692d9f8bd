// A CPU-bound map over a pool of worker processes, with a progress bar fed by IProgress<PoolProgress>.
//   dotnet run --project examples/PoolProgress
using System.Diagnostics;
using AioProcessing;

var numbers = Enumerable.Range(1, 200).Select(i => 300_000 + (i * 997)).ToArray();
await using var pool = new AioPool(); // one worker process per processor
var clock = Stopwatch.StartNew();
var progress = new Progress<PoolProgress>(p => DrawBar(p.Done, p.Total ?? numbers.Length));
var counts = await pool.MapAsync(Primes.CountBelow, numbers, chunksize: 10, progress: progress);
Console.WriteLine();
Console.WriteLine($"{counts.Count} maps on {pool.Processes} processes in {clock.Elapsed.TotalSeconds:0.0} s; primes below {numbers[^1]}: {counts[^1]}");

// Progress<T> reports on the thread pool, so reports may arrive out of order: draw only forward.
static void DrawBar(int done, int total)
{
    const int Width = 40;
    if (done <= Drawn.Done)
    {
        return;
    }

    Drawn.Done = done;
    var filled = done * Width / total;
    Console.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total}");
}

internal static class Drawn
{
    public static int Done { get; set; }
}

internal static class Primes
{
    // Deliberately plain trial division: CPU-bound work worth sending to other processes.
    public static int CountBelow(int limit)
    {
        var count = 0;
        for (var n = 2; n < limit; n += n == 2 ? 1 : 2)
        {
            var prime = true;
            for (var d = 3; d * d <= n && prime; d += 2)
            {
                prime = n % d != 0;
            }

            count += prime && (n == 2 || n % 2 == 1) ? 1 : 0;
        }

        return count;
    }
}
