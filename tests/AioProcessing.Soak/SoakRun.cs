using System.Diagnostics;
using System.Text.Json;

namespace AioProcessing.Soak;

/// <summary>What a soak did and every check that failed (none, when it passed).</summary>
/// <param name="Seconds">How long the workload ran.</param>
/// <param name="Kills">Worker processes killed (SIGKILL) while it ran.</param>
/// <param name="Producers">Producer processes started (each killed one is replaced under a new id).</param>
/// <param name="Items">Queue items received, each checked in order per producer.</param>
/// <param name="Maps">Pool maps that completed, each checked item by item.</param>
/// <param name="MapTasks">Pool tasks in those maps.</param>
/// <param name="Violations">What went wrong: lost, duplicated or reordered items, wrong or lost pool results, a lock never freed.</param>
public sealed record SoakReport(double Seconds, int Kills, int Producers, long Items, int Maps, long MapTasks, IReadOnlyList<string> Violations)
{
    /// <summary>Whether every check held.</summary>
    public bool Ok => Violations.Count == 0;

    /// <summary>The report as one JSON line.</summary>
    public string ToJson() => JsonSerializer.Serialize(new { metric = "soak", ok = Ok, seconds = Seconds, kills = Kills, producers = Producers, items = Items, maps = Maps, map_tasks = MapTasks, violations = Violations });
}

/// <summary>
/// The soak workload. Half the workers (at least one) are pool workers mapping squares; the rest are producers that
/// put numbered items into one queue while holding a shared lock. The coordinator's process consumes and checks.
/// A killer SIGKILLs a random pool worker or producer every one to three seconds; the pool replaces its workers and
/// the soak replaces producers under new ids.
/// </summary>
public static class SoakRun
{
    private const long Stride = 1_000_000_000;

    /// <summary>Runs the soak for <paramref name="duration"/> and checks it.</summary>
    /// <param name="duration">How long the workload runs (the checks and shutdown take a few seconds more).</param>
    /// <param name="workers">Worker processes besides the coordinator's, at least 2.</param>
    /// <param name="seed">Seed of the random kills and map sizes.</param>
    /// <param name="log">Where progress goes.</param>
    /// <returns>The report.</returns>
    public static async Task<SoakReport> RunAsync(TimeSpan duration, int workers = 4, int seed = 1, TextWriter? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 2);
        log ??= TextWriter.Null;
        var violations = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var drainUntilEmpty = 0;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        // Kills are the point: retries enough that a chunk is not lost to bad luck, and the check says so if it is.
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.pool.max-retries = 10" });
        var queue = new AioQueue<long>(context: context);
        var lck = new AioLock(context);
        var poolPids = new AioQueue<int>(context: context);
        var poolSize = Math.Max(1, workers / 2);
        var producerCount = workers - poolSize;
        await using var pool = new AioPool(poolSize, context: context);
        using var stop = new CancellationTokenSource(duration);

        var producers = new Dictionary<int, AioProcess>();
        var nextProducer = 0;
        var kills = 0;
        async Task StartProducerAsync()
        {
            var id = ++nextProducer;
            var process = new AioProcess(context, Produce, queue, lck, id) { Daemon = true };
            await process.StartAsync();
            lock (producers)
            {
                producers[id] = process;
            }
        }

        for (var i = 0; i < producerCount; i++)
        {
            await StartProducerAsync();
        }

        // The consumer: per producer, items must come as 0, 1, 2, … with nothing missing in between and nothing twice.
        var next = new Dictionary<long, long>();
        long items = 0;
        var consuming = Task.Run(async () =>
        {
            while (true)
            {
                IReadOnlyList<long> batch;
                try
                {
                    batch = await queue.GetManyAsync(512, TimeSpan.FromMilliseconds(300));
                }
                catch (QueueEmptyException)
                {
                    if (stop.IsCancellationRequested && Volatile.Read(ref drainUntilEmpty) == 1)
                    {
                        return;
                    }

                    continue;
                }

                foreach (var item in batch)
                {
                    var (producer, seq) = Math.DivRem(item, Stride);
                    var expected = next.GetValueOrDefault(producer);
                    if (seq != expected)
                    {
                        violations.Enqueue(seq < expected ? $"producer {producer}: item {seq} delivered twice or out of order (expected {expected})" : $"producer {producer}: items {expected}..{seq - 1} lost");
                    }

                    next[producer] = Math.Max(expected, seq + 1);
                    items++;
                }
            }
        });

        // The pool: maps of random sizes and chunk sizes; every result list must be exactly right.
        var maps = 0;
        long mapTasks = 0;
        var square = Square(poolPids);
        var mapping = Task.Run(async () =>
        {
            var sizes = new Random(seed + 1);
            while (!stop.IsCancellationRequested)
            {
                var n = sizes.Next(50, 400);
                try
                {
                    var results = await pool.MapAsync(square, Enumerable.Range(0, n), chunksize: sizes.Next(1, 20));
                    var wrong = Enumerable.Range(0, n).Where(i => results[i] != (long)i * i).Take(3).ToList();
                    if (results.Count != n || wrong.Count > 0)
                    {
                        violations.Enqueue($"map of {n}: {results.Count} results, wrong at {string.Join(", ", wrong)}");
                    }

                    maps++;
                    mapTasks += n;
                }
                catch (WorkerLostException ex)
                {
                    violations.Enqueue("pool result lost: " + ex.Message);
                }
            }
        });

        // The killer.
        var seenPoolPids = new HashSet<int>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, 3000)), stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            while (poolPids.TryGet(out var pid))
            {
                seenPoolPids.Add(pid);
            }

            seenPoolPids.RemoveWhere(pid => !Alive(pid));
            int[] producerIds;
            lock (producers)
            {
                producerIds = [.. producers.Keys];
            }

            if (random.Next(2) == 0 && seenPoolPids.Count > 0)
            {
                var victim = seenPoolPids.ElementAt(random.Next(seenPoolPids.Count));
                Kill(victim);
                await log.WriteLineAsync($"[{clock.Elapsed.TotalSeconds,6:0.0}s] killed pool worker {victim}");
            }
            else if (producerIds.Length > 0)
            {
                var id = producerIds[random.Next(producerIds.Length)];
                AioProcess victim;
                lock (producers)
                {
                    victim = producers[id];
                    producers.Remove(id);
                }

                victim.Kill();
                await victim.JoinAsync(TimeSpan.FromSeconds(10));
                await log.WriteLineAsync($"[{clock.Elapsed.TotalSeconds,6:0.0}s] killed producer {id} (pid {victim.Pid})");
                await StartProducerAsync();
            }
            else
            {
                continue;
            }

            kills++;
        }

        // Wind down: stop the producers (killed: a producer's missing items may only be its last ones), finish the
        // map at hand, drain the queue, and check that the lock is free although holders were killed holding it.
        await mapping;
        lock (producers)
        {
            foreach (var producer in producers.Values)
            {
                producer.Kill();
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        Volatile.Write(ref drainUntilEmpty, 1);
        await consuming;
        if (!await lck.AcquireAsync(TimeSpan.FromSeconds(10)))
        {
            violations.Enqueue("the lock was not free 10 s after the last producer died");
        }
        else
        {
            await lck.ReleaseAsync();
        }

        if (maps == 0 || items == 0)
        {
            violations.Enqueue($"the workload did not run: {maps} maps, {items} items");
        }

        var report = new SoakReport(Math.Round(clock.Elapsed.TotalSeconds, 1), kills, nextProducer, items, maps, mapTasks, [.. violations]);
        await log.WriteLineAsync(report.ToJson());
        return report;
    }

    private static void Produce(AioQueue<long> queue, AioLock lck, int id)
    {
        for (long seq = 0; ; seq++)
        {
            // The lock is shared by every producer, so producers are killed holding it: it must be given back.
            using (lck.Lock(TimeSpan.FromSeconds(30)))
            {
                queue.Put((id * Stride) + seq);
            }

            if (seq % 64 == 0)
            {
                Thread.Sleep(1);
            }
        }
    }

    // Built here so that the closure holds the queue and nothing else of the caller's.
    private static Func<int, long> Square(AioQueue<int> pids) => x =>
    {
        if (Interlocked.Exchange(ref s_reported, 1) == 0)
        {
            pids.Put(Environment.ProcessId);
            pids.Flush();
        }

        return (long)x * x;
    };

    private static int s_reported;

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
