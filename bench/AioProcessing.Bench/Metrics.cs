using System.Diagnostics;
using Akka.Actor;

namespace AioProcessing.Bench;

/// <summary>
/// Each metric of ../shared/bench/README.md that the library can measure today. Every figure is the median of
/// several batches; the engine floor uses a plain Akka actor in a worker node, with no library code on its path.
/// </summary>
internal sealed class Metrics(AioContext context, bool quick, Report report, string impl = "AioProcessing") : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> Names =
    [
        "ipc_floor_roundtrip_us",
        "engine_ask_roundtrip_us",
        "engine_tell_msgs_per_s",
        "process_start_join_ms",
        "lock_roundtrip_local_async_us",
        "event_wait_local_async_us",
        "lock_roundtrip_worker_us",
        "queue_roundtrip_us",
        "queue_stream_items_per_s",
        "holder_death_release_ms",
        "holder_death_joined_release_ms",
        "lock_256_callers_sync_ms",
        "lock_256_callers_async_ms",
        "manager_dict_set_get_worker_us",
        "pool_apply_tasks_per_s",
        "pool_map_items_per_s",
        "pool_cpu_speedup",
        "idle_cpu_percent",
        "idle_worker_rss_mb",
    ];

    /// <summary>
    /// The calls between processes, measured once with the lane (impl AioProcessing) and once with every call on
    /// Akka.Remote (impl AioProcessing-akka), each beside the floor.
    /// </summary>
    public static readonly IReadOnlyList<string> LaneLatencies =
    [
        "lock_roundtrip_worker_us",
        "queue_roundtrip_us",
        "manager_dict_set_get_worker_us",
        "holder_death_release_ms",
    ];

    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);
    private EngineWorker? _engine;

    private int Repeats => quick ? 3 : 5;

    private int Scale => quick ? 5 : 1;

    // One worker sleeping in its target (waiting on an event, as a pool worker waits for work), measured after a
    // warm-up: CPU of this process (the coordinator) and of the worker, percent of one core, and the worker's RSS.
    private async Task IdleAsync(string name)
    {
        // The engine's floor worker is this benchmark's own helper, not part of the measured set-up: its association
        // would add a third peer's heartbeats and acks to the coordinator's idle figure.
        await StopEngineAsync();
        var release = new AioEvent(context);
        var sleeper = new AioProcess(context, SleepUntilSet, release) { Daemon = true, Name = "idle-worker" };
        await sleeper.StartAsync();
        try
        {
            using var worker = Process.GetProcessById(sleeper.Pid!.Value);
            using var coordinator = Process.GetCurrentProcess();
            var (warmUp, window) = quick ? (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)) : (TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
            await Task.Delay(warmUp);
            coordinator.Refresh();
            worker.Refresh();
            var (coordinatorBefore, workerBefore) = (coordinator.TotalProcessorTime, worker.TotalProcessorTime);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            coordinator.Refresh();
            worker.Refresh();
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if (name == "idle_cpu_percent")
            {
                report.Add(name, (coordinator.TotalProcessorTime - coordinatorBefore).TotalMilliseconds * 100 / elapsed, "%", "AioProcessing-coordinator");
                report.Add(name, (worker.TotalProcessorTime - workerBefore).TotalMilliseconds * 100 / elapsed, "%", "AioProcessing-worker");
            }
            else
            {
                report.Add(name, worker.WorkingSet64 / (1024.0 * 1024.0), "MB", "AioProcessing-worker");
            }
        }
        finally
        {
            release.Set();
            await sleeper.JoinAsync(Bound);
        }
    }

    // The physical floor under every call between two processes here: 16-byte messages ping-ponged on a raw Unix
    // domain socket between this process and a worker, both sides blocking on their own reads, no library code.
    private async Task IpcFloorAsync(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"aio-floor-{Guid.NewGuid():N}.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var n = 20_000 / Scale;
        var echo = new AioProcess(context, Targets.UnixEcho, path);
        await echo.StartAsync();
        try
        {
            using var socket = await listener.AcceptAsync().WaitAsync(Bound);
            var buffer = new byte[16];
            void RoundTrips(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    socket.Send(buffer);
                    var read = 0;
                    while (read < buffer.Length)
                    {
                        read += socket.Receive(buffer.AsSpan(read));
                    }
                }
            }

            RoundTrips(1_000);
            await MedianAsync(name, "us", "dotnet-unix-socket", () =>
            {
                var sw = Stopwatch.StartNew();
                RoundTrips(n);
                return Task.FromResult(sw.Elapsed.TotalMicroseconds / n);
            });
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
            await echo.JoinAsync(Bound);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // process_start_join_ms, impl dotnet-exec-floor: one start and exit of this program's --floor-child.
    private static async Task<double> FloorStartAsync()
    {
        var clock = Stopwatch.StartNew();
        using var child = StartFloorChild("--floor-child");
        try
        {
            await child.StandardInput.WriteLineAsync("bootstrap");
            await child.StandardInput.FlushAsync();
            await child.WaitForExitAsync().WaitAsync(Bound);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    // A floor's child: this program, launched with dotnet exec as a worker is, in the given mode (Program.Main), its
    // standard input redirected; with tieringOff, fully optimized from the first call, as a pool worker.
    private static Process StartFloorChild(string mode, bool redirectOutput = false, bool tieringOff = false)
    {
        var start = new ProcessStartInfo(AioProcessing.Node.Worker.WorkerLauncher.DotnetHostPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = redirectOutput,
            UseShellExecute = false,
        };
        if (tieringOff)
        {
            start.Environment["DOTNET_TieredCompilation"] = "0";
        }

        foreach (var argument in new[] { "exec", typeof(Metrics).Assembly.Location, mode })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
    }

    // pool_cpu_speedup, impl dotnet-process-pair: what this machine gives two processes that each burn half of the
    // same work, with no pool between them. Two processes of this program (--burn-child, the JIT's tiering off as a
    // pool worker's), ready and warm, are each told to run half the burns; the speedup is the serial time over the
    // time until both are done. On a VM whose cores slow each other down when both are busy, this, not 2.0, is the
    // ceiling for any pool of this shape.
    private async Task BurnPairFloorAsync(string name, int burns)
    {
        var children = new Process[2];
        try
        {
            for (var c = 0; c < children.Length; c++)
            {
                children[c] = StartFloorChild("--burn-child", redirectOutput: true, tieringOff: true);
            }

            async Task<double> RunBothAsync(int each)
            {
                var clock = Stopwatch.StartNew();
                foreach (var child in children)
                {
                    await child.StandardInput.WriteLineAsync(each.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    await child.StandardInput.FlushAsync();
                }

                foreach (var child in children)
                {
                    _ = await child.StandardOutput.ReadLineAsync().WaitAsync(Bound) ?? throw new InvalidOperationException("a burn child ended early");
                }

                return clock.Elapsed.TotalMilliseconds;
            }

            await RunBothAsync(1); // the JIT compiles the burn in each child before anything is timed
            await MedianAsync(name, "x", "dotnet-process-pair", async () =>
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < burns; i++)
                {
                    Targets.Burn(i);
                }

                return clock.Elapsed.TotalMilliseconds / await RunBothAsync(burns / 2);
            });
        }
        finally
        {
            foreach (var child in children)
            {
                if (child is not null && !child.HasExited)
                {
                    child.Kill();
                }

                child?.Dispose();
            }
        }
    }

    // A program built from the packed packages, outside the repository (its own median of 5 cold starts).
    private async Task PackageStartAsync(string name)
    {
        var work = Directory.CreateTempSubdirectory("aio-bench-consumer-");
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            var built = await AioProcessing.Tests.Support.PackageConsumer.BuildAsync(AioProcessing.Tests.Support.SourceTree.Root, work.FullName, _ => { }, bound.Token);
            var output = await AioProcessing.Tests.Support.PackageConsumer.RunAsync("dotnet", [built.Dll], built.AppDirectory, _ => { }, bound.Token);
            var line = output.Split('\n').Single(l => l.StartsWith("START_MS ", StringComparison.Ordinal));
            report.Add(name, double.Parse(line[9..], System.Globalization.CultureInfo.InvariantCulture), "ms", "AioProcessing-package");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static void SleepUntilSet(AioEvent release) => release.Wait(TimeSpan.FromMinutes(5));

    public async Task RunAsync(string name)
    {
        switch (name)
        {
            case "ipc_floor_roundtrip_us":
                await IpcFloorAsync(name);
                break;
            case "engine_ask_roundtrip_us":
                var engine = await EngineAsync();
                var n = 10_000 / Scale;
                for (var i = 0; i < 500; i++)
                {
                    await engine.Echo.Ask<string>("ping", Bound);
                }

                await MedianAsync(name, "us", "akka-remote", async () =>
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < n; i++)
                    {
                        await engine.Echo.Ask<string>("ping", Bound);
                    }

                    return sw.Elapsed.TotalMicroseconds / n;
                });
                break;
            case "engine_tell_msgs_per_s":
                var counter = (await EngineAsync()).Counter;
                var m = 200_000 / Scale;
                await MedianAsync(name, "msgs/s", "akka-remote", async () =>
                {
                    var sw = Stopwatch.StartNew();
                    var done = counter.Ask<string>(-(long)m, Bound);
                    for (var i = 0; i < m; i++)
                    {
                        counter.Tell(1L);
                    }

                    await done;
                    return m / sw.Elapsed.TotalSeconds;
                });
                break;
            case "process_start_join_ms":
                // Cold: every start launches a node (warm starts off).
                await using (var cold = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 0" }))
                {
                    await StartJoinOnceAsync(cold); // the coordinator's own first-use costs are not the child's
                    await MedianAsync(name, "ms", "AioProcessing", () => StartJoinOnceAsync(cold), repeats: quick ? 3 : 7);
                }

                // The floor under any worker: a process of this runtime, launched as a worker is (dotnet exec), that
                // reads a line from its standard input and exits. Everything above it is the node's and the library's.
                await FloorStartAsync();
                await MedianAsync(name, "ms", "dotnet-exec-floor", FloorStartAsync, repeats: quick ? 3 : 7);

                await PackageStartAsync(name);

                // The default configuration: the first start leaves a node ready, and each start after it takes one.
                await using (var warm = await AioContext.StartAsync())
                {
                    await StartJoinOnceAsync(warm);
                    await MedianAsync(name, "ms", "AioProcessing-warm", async () =>
                    {
                        var ready = Stopwatch.StartNew();
                        while (warm.ReadyWarmNodePids.Count == 0 && ready.Elapsed < Bound)
                        {
                            await Task.Delay(20);
                        }

                        return await StartJoinOnceAsync(warm);
                    }, repeats: quick ? 3 : 7);
                }

                break;
            case "idle_cpu_percent":
            case "idle_worker_rss_mb":
                await IdleAsync(name);
                break;
            case "lock_roundtrip_local_async_us":
                var lck = new AioLock(context);
                await MedianAsync(name, "us", "AioProcessing", () => PerOpAsync(20_000 / Scale, async () =>
                {
                    await lck.AcquireAsync();
                    await lck.ReleaseAsync();
                }));
                break;
            case "event_wait_local_async_us":
                var ev = new AioEvent(context);
                ev.Set();
                await MedianAsync(name, "us", "AioProcessing", () => PerOpAsync(20_000 / Scale, () => ev.WaitAsync()));
                break;
            case "lock_roundtrip_worker_us":
                var shared = new AioLock(context);
                var figure = new AioQueue<double>(context: context);
                var looper = new AioProcess(context, Targets.LockLoop, shared, 5_000 / Scale, Repeats, figure);
                await looper.StartAsync();
                report.Add(name, await figure.GetAsync(Bound), "us", impl);
                await looper.JoinAsync(Bound);
                break;
            case "queue_roundtrip_us":
                var req = new AioQueue<int>(context: context);
                var rep = new AioQueue<int>(context: context);
                var per = 2_000 / Scale;
                var pong = new AioProcess(context, Targets.Pong, req, rep, 1 + (2 * per * Repeats));
                await pong.StartAsync();
                await req.PutAsync(-1);
                await rep.GetAsync(Bound);
                // The sync facade, as Python's figure (req.put, rep.get); then the async one, for reference.
                await MedianAsync(name, "us", impl, () => Task.Run(() =>
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < per; i++)
                    {
                        req.Put(1);
                        rep.Get(timeout: Bound);
                    }

                    return sw.Elapsed.TotalMicroseconds / per;
                }));
                await MedianAsync(name, "us", impl + "-async", () => PerOpAsync(per, async () =>
                {
                    await req.PutAsync(1);
                    await rep.GetAsync(Bound);
                }));
                await pong.JoinAsync(Bound);
                break;
            case "queue_stream_items_per_s":
                var items = new AioQueue<int>(context: context);
                var acks = new AioQueue<int>(context: context);
                var batch = 10_000 / Scale;
                var consumer = new AioProcess(context, Targets.Consume, items, batch, Repeats, acks);
                await consumer.StartAsync();
                await MedianAsync(name, "items/s", "AioProcessing", async () =>
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < batch; i++)
                    {
                        await items.PutAsync(i);
                    }

                    await acks.GetAsync(Bound);
                    return batch / sw.Elapsed.TotalSeconds;
                });
                await consumer.JoinAsync(Bound);
                break;
            case "holder_death_joined_release_ms":
                // The same for a program that joined with ConnectAsync (not spawned): no process exit to observe.
                await MedianAsync(name, "ms", "AioProcessing", async () =>
                {
                    var lockName = "bench-" + Guid.NewGuid().ToString("N");
                    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
                    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
                    {
                        start.ArgumentList.Add(typeof(Metrics).Assembly.Location);
                    }

                    foreach (var arg in new[] { "--join-and-hold", context.Address, context.Secret, lockName })
                    {
                        start.ArgumentList.Add(arg);
                    }

                    using var holder = Process.Start(start)!;
                    try
                    {
                        using var cts = new CancellationTokenSource(Bound);
                        if (await holder.StandardOutput.ReadLineAsync(cts.Token) != "HOLDING")
                        {
                            throw new InvalidOperationException("the joining program did not take the lock");
                        }

                        var waiting = new AioLock(lockName, context).AcquireAsync(Bound);
                        var sw = Stopwatch.StartNew();
                        holder.Kill();
                        if (!await waiting)
                        {
                            throw new TimeoutException("the killed program's lock was never released");
                        }

                        return sw.Elapsed.TotalMilliseconds;
                    }
                    finally
                    {
                        holder.Kill();
                        await holder.WaitForExitAsync();
                    }
                }, repeats: Repeats);
                break;
            case "holder_death_release_ms":
                // From killing a worker that holds a lock until a waiter in the coordinator's process gets it.
                await MedianAsync(name, "ms", impl, async () =>
                {
                    var held = new AioLock(context);
                    var holding = new AioEvent(context);
                    var holder = new AioProcess(context, Targets.HoldLock, held, holding);
                    await holder.StartAsync();
                    await holding.WaitAsync(Bound);
                    var waiting = held.AcquireAsync(Bound);
                    var sw = Stopwatch.StartNew();
                    holder.Kill();
                    if (!await waiting)
                    {
                        throw new TimeoutException("the killed holder's lock was never released");
                    }

                    var elapsed = sw.Elapsed.TotalMilliseconds;
                    await holder.JoinAsync(Bound);
                    return elapsed;
                }, repeats: quick ? 3 : 5);
                break;
            case "manager_dict_set_get_worker_us":
                await using (var manager = new AioManager(context))
                {
                    var dict = manager.Dict<string, int>();
                    var dictFigure = new AioQueue<double>(context: context);
                    var dictLooper = new AioProcess(context, Targets.DictLoop, dict, 5_000 / Scale, Repeats, dictFigure);
                    await dictLooper.StartAsync();
                    report.Add(name, await dictFigure.GetAsync(Bound), "us", impl);
                    await dictLooper.JoinAsync(Bound);
                }

                break;
            case "pool_apply_tasks_per_s":
            case "pool_map_items_per_s":
            case "pool_cpu_speedup":
                await PoolMetricAsync(name);
                break;
            case "lock_256_callers_sync_ms":
                // 256 callers blocking thread-pool threads in the sync facade, 10 lock scopes each, on one lock.
                await ContendedAsync(name, static (shared, bound) => Task.Run(() =>
                {
                    for (var i = 0; i < 10; i++)
                    {
                        using (shared.Lock(bound))
                        {
                        }
                    }
                }));
                break;
            case "lock_256_callers_async_ms":
                // The async equivalent of lock_256_callers_sync_ms.
                await ContendedAsync(name, static async (shared, bound) =>
                {
                    for (var i = 0; i < 10; i++)
                    {
                        await using (await shared.LockAsync(bound))
                        {
                        }
                    }
                });
                break;
            default:
                throw new ArgumentException($"Unknown metric {name}.", nameof(name));
        }
    }

    private async Task ContendedAsync(string metric, Func<AioLock, TimeSpan, Task> caller)
    {
        var shared = new AioLock(context);
        async Task<double> RunOnce()
        {
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 256).Select(_ => caller(shared, Bound))).WaitAsync(Bound);
            return sw.Elapsed.TotalMilliseconds;
        }

        await RunOnce(); // warm-up: first-use costs are not the contention's
        await MedianAsync(metric, "ms", "AioProcessing", RunOnce);
    }

    private static async Task<double> PerOpAsync(int n, Func<Task> op)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            await op();
        }

        return sw.Elapsed.TotalMicroseconds / n;
    }

    private static async Task<double> StartJoinOnceAsync(AioContext context)
    {
        var sw = Stopwatch.StartNew();
        var p = new AioProcess(context, Targets.Empty);
        await p.StartAsync();
        await p.JoinAsync(Bound);
        return sw.Elapsed.TotalMilliseconds;
    }

    private async Task MedianAsync(string metric, string unit, string impl, Func<Task<double>> batch, int? repeats = null)
    {
        var values = new List<double>();
        for (var i = 0; i < (repeats ?? Repeats); i++)
        {
            values.Add(await batch());
        }

        values.Sort();
        report.Add(metric, values[values.Count / 2], unit, impl);
    }

    // As bench/python_baseline.py: a pool of 2, warmed with a small map, then the same shapes of work.
    private async Task PoolMetricAsync(string name)
    {
        await using var pool = new AioPool(2, context: context);
        await pool.MapAsync(Targets.Square, Enumerable.Range(0, 1000));
        await pool.MapAsync(Targets.Burn, Enumerable.Range(0, 4), chunksize: 1);
        switch (name)
        {
            case "pool_map_items_per_s":
                var k = 1_000_000 / Scale;
                await MedianAsync(name, "items/s", "AioProcessing", async () =>
                {
                    var sw = Stopwatch.StartNew();
                    await pool.MapAsync(Targets.Square, Enumerable.Range(0, k));
                    return k / sw.Elapsed.TotalSeconds;
                });
                break;
            case "pool_apply_tasks_per_s":
                var tasks = 20_000 / Scale;
                await MedianAsync(name, "tasks/s", "AioProcessing", async () =>
                {
                    var sw = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => pool.ApplyAsync<long>(Targets.Square, [i])));
                    return tasks / sw.Elapsed.TotalSeconds;
                });
                break;
            default:
                var burns = quick ? 20 : 40;
                async Task<double> SpeedupOnce()
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < burns; i++)
                    {
                        Targets.Burn(i);
                    }

                    var serial = sw.Elapsed;
                    sw.Restart();
                    await pool.MapAsync(Targets.Burn, Enumerable.Range(0, burns));
                    return serial / sw.Elapsed;
                }

                // Warm-up, as ContendedAsync's: in a fresh process the first maps overlap the tiered JIT recompiling
                // the message path of this (the coordinator's) process, measured at 100-400 methods and 30-125 ms of
                // a core during a 200 ms map; start-up is process_start_join_ms's to measure, not this ratio's.
                await SpeedupOnce();
                await MedianAsync(name, "x", "AioProcessing", SpeedupOnce);
                await BurnPairFloorAsync(name, burns);
                break;
        }
    }

    private async Task<EngineWorker> EngineAsync()
    {
        if (_engine is not null)
        {
            return _engine;
        }

        var paths = new AioQueue<string>(context: context);
        var stop = new AioEvent(context);
        var host = new AioProcess(context, Targets.EngineHost, paths, stop);
        await host.StartAsync();
        var echo = context.ResolveActor(await paths.GetAsync(Bound));
        var counter = context.ResolveActor(await paths.GetAsync(Bound));
        return _engine = new EngineWorker(host, stop, echo, counter);
    }

    public async ValueTask DisposeAsync() => await StopEngineAsync();

    private async Task StopEngineAsync()
    {
        if (_engine is { } engine)
        {
            await engine.Stop.SetAsync();
            await engine.Host.JoinAsync(Bound);
            _engine = null;
        }
    }

    private sealed record EngineWorker(AioProcess Host, AioEvent Stop, IActorRef Echo, IActorRef Counter);
}

/// <summary>What the benchmark's worker processes run.</summary>
internal static class Targets
{
    public static long Square(int x) => (long)x * x;

    /// <summary>Echoes 16-byte messages on the Unix socket at path until the other side closes it.</summary>
    public static void UnixEcho(string path)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        var buffer = new byte[16];
        while (true)
        {
            var read = 0;
            while (read < buffer.Length)
            {
                var got = socket.Receive(buffer.AsSpan(read));
                if (got == 0)
                {
                    return;
                }

                read += got;
            }

            socket.Send(buffer);
        }
    }

    // About 10 ms of work on this machine, as python_baseline.py's burn.
    public static long Burn(int seed)
    {
        var s = (long)seed;
        for (var i = 0; i < 12_000_000; i++)
        {
            s += (long)i * i ^ (s >> 3);
        }

        return s;
    }

    public static void Empty()
    {
    }

    /// <summary>Hosts plain Akka actors in the worker node: the engine's floor, no library code on the measured path.</summary>
    public static void EngineHost(AioQueue<string> paths, AioEvent stop)
    {
        var system = AioContext.Default.System;
        var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        var echo = system.ActorOf(Props.Create(() => new Echo()), "bench-echo");
        var counter = system.ActorOf(Props.Create(() => new Counter()), "bench-counter");
        paths.Put(echo.Path.ToSerializationFormatWithAddress(address));
        paths.Put(counter.Path.ToSerializationFormatWithAddress(address));
        stop.Wait(TimeSpan.FromMinutes(10));
    }

    public static void HoldLock(AioLock lck, AioEvent holding)
    {
        lck.Acquire();
        holding.Set();
        Thread.Sleep(TimeSpan.FromMinutes(2));
    }

    public static void DictLoop(AioDict<string, int> dict, int n, int repeats, AioQueue<double> figure) =>
        TimedLoop(i => { dict["k"] = i; _ = dict["k"]; }, n, repeats, figure);

    public static void LockLoop(AioLock lck, int n, int repeats, AioQueue<double> figure) =>
        TimedLoop(_ => { lck.Acquire(); lck.Release(); }, n, repeats, figure);

    // 200 warm-up steps, then the median over repeats of n steps, in µs per step, put to figure.
    private static void TimedLoop(Action<int> step, int n, int repeats, AioQueue<double> figure)
    {
        for (var i = 0; i < 200; i++)
        {
            step(i);
        }

        var batches = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                step(i);
            }

            batches.Add(sw.Elapsed.TotalMicroseconds / n);
        }

        batches.Sort();
        figure.Put(batches[batches.Count / 2]);
    }

    public static void Pong(AioQueue<int> req, AioQueue<int> rep, int n)
    {
        for (var i = 0; i < n; i++)
        {
            rep.Put(req.Get());
        }
    }

    public static void Consume(AioQueue<int> items, int batch, int batches, AioQueue<int> acks)
    {
        for (var b = 0; b < batches; b++)
        {
            for (var i = 0; i < batch; i++)
            {
                items.Get();
            }

            acks.Put(b);
        }
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    private sealed class Counter : ReceiveActor
    {
        private long _target;
        private long _count;
        private IActorRef _replyTo = ActorRefs.Nobody;

        public Counter() =>
            Receive<long>(m =>
            {
                if (m < 0)
                {
                    (_target, _count, _replyTo) = (-m, 0, Sender);
                    return;
                }

                if (++_count == _target)
                {
                    _replyTo.Tell("done");
                }
            });
    }
}
