// AioProcessing benchmark: JSON lines {"metric","value","unit","impl"} and a side-by-side table, with the raw
// Akka.Remote floor and Python's multiprocessing measured in the same run.
//   dotnet run -c Release --project bench/AioProcessing.Bench -- [--quick] [--json FILE] [--no-python] [METRIC ...]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AioProcessing.Bench;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args is ["--floor-child"])
        {
            // process_start_join_ms, impl dotnet-exec-floor: a .NET process that reads its one line and exits.
            return Console.In.ReadLine() is null ? 1 : 0;
        }

        if (args is ["--burn-child"])
        {
            // pool_cpu_speedup, impl dotnet-process-pair: each line asks for that many burns, answered when done.
            while (Console.In.ReadLine() is { } line)
            {
                var count = int.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
                for (var i = 0; i < count; i++)
                {
                    Targets.Burn(i);
                }

                Console.WriteLine("done");
            }

            return 0;
        }

        if (args is ["--join-and-hold", var address, var secret, var lockName])
        {
            // An independently started program (holder_death_joined_release_ms): join, hold, and wait to be killed.
            await using var joined = await AioContext.ConnectAsync(address, secret);
            await new AioLock(lockName, joined).AcquireAsync();
            Console.WriteLine("HOLDING");
            await Task.Delay(TimeSpan.FromMinutes(2));
            return 0;
        }

        var options = BenchOptions.Parse(args);
        if (options.Unknown.Count > 0)
        {
            await Console.Error.WriteLineAsync($"unknown metric(s): {string.Join(", ", options.Unknown)}; known: {string.Join(", ", Metrics.Names)}");
            return 2;
        }

        var report = new Report(options.JsonFile);
        await using (var context = await AioContext.StartAsync())
        {
            await using var metrics = new Metrics(context, options.Quick, report);
            foreach (var name in options.Selected)
            {
                await metrics.RunAsync(name);
            }
        }

        // The same calls with the same-host lane off: every one on Akka.Remote, as a process on another host sends them.
        var overAkka = options.Selected.Where(Metrics.LaneLatencies.Contains).ToList();
        if (overAkka.Count > 0)
        {
            await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.lane.enabled = off" });
            await using var metrics = new Metrics(context, options.Quick, report, "AioProcessing-akka");
            foreach (var name in overAkka)
            {
                await metrics.RunAsync(name);
            }
        }

        if (options.Python)
        {
            await PythonBaseline.RunAsync(options, report);
        }

        report.PrintTable();
        report.PrintRatios();
        return 0;
    }
}

/// <summary>The command line.</summary>
internal sealed record BenchOptions(bool Quick, string? JsonFile, bool Python, IReadOnlyList<string> Selected, IReadOnlyList<string> Unknown)
{
    public static BenchOptions Parse(string[] args)
    {
        var quick = false;
        var python = true;
        string? json = null;
        var names = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--no-python": python = false; break;
                case "--json" when i + 1 < args.Length: json = args[++i]; break;
                default: names.Add(args[i]); break;
            }
        }

        var selected = names.Count == 0 ? Metrics.Names : names.Where(Metrics.Names.Contains).ToList();
        return new BenchOptions(quick, json, python, selected, names.Where(n => !Metrics.Names.Contains(n)).ToList());
    }
}

/// <summary>Collects results, prints each as a JSON line as it comes, and the table at the end.</summary>
internal sealed class Report(string? jsonFile)
{
    private readonly List<Result> _results = [];

    public IReadOnlyList<Result> Results => _results;

    public void Add(string metric, double value, string unit, string impl)
    {
        var result = new Result(metric, Math.Round(value, 3), unit, impl);
        _results.Add(result);
        var line = JsonSerializer.Serialize(new Dictionary<string, object> { ["metric"] = metric, ["value"] = result.Value, ["unit"] = unit, ["impl"] = impl });
        Console.WriteLine(line);
        if (jsonFile is not null)
        {
            File.AppendAllText(jsonFile, line + Environment.NewLine);
        }
    }

    public void PrintTable()
    {
        var impls = _results.Select(r => r.Impl).Distinct().OrderBy(i => i == "AioProcessing" ? 0 : i == "akka-remote" ? 1 : 2).ThenBy(i => i, StringComparer.Ordinal).ToList();
        Console.WriteLine();
        Console.WriteLine("metric".PadRight(32) + string.Concat(impls.Select(i => i.PadLeft(32))));
        foreach (var group in _results.GroupBy(r => r.Metric))
        {
            var row = group.Key.PadRight(32);
            foreach (var impl in impls)
            {
                var hit = group.FirstOrDefault(r => r.Impl == impl);
                row += (hit is null ? "-" : $"{hit.Value.ToString("G6", CultureInfo.InvariantCulture)} {hit.Unit}").PadLeft(32);
            }

            Console.WriteLine(row);
        }
    }

    /// <summary>
    /// Each latency's ratio to the raw socket floor (ipc_floor_roundtrip_us) and to Python's figure of the same run,
    /// when they were measured.
    /// </summary>
    public void PrintRatios()
    {
        var floor = _results.FirstOrDefault(r => r.Metric == "ipc_floor_roundtrip_us");
        Console.WriteLine();
        foreach (var result in _results.Where(r => r.Unit == "us" && r.Metric != "ipc_floor_roundtrip_us" && !r.Impl.StartsWith("python", StringComparison.Ordinal)))
        {
            var python = _results.FirstOrDefault(r => r.Metric == result.Metric && r.Impl.StartsWith("python", StringComparison.Ordinal));
            var line = $"{result.Metric} [{result.Impl}]".PadRight(56);
            line += floor is null ? "" : $"  {result.Value / floor.Value:0.00}x the floor ({floor.Value:0.#} us)";
            line += python is null ? "" : $"  {result.Value / python.Value:0.00}x {python.Impl} ({python.Value:0.#} us)";
            Console.WriteLine(line);
        }
    }

    public sealed record Result(string Metric, double Value, string Unit, string Impl);
}

/// <summary>Runs bench/python_baseline.py when python3 is on PATH, so both sides are measured in one run.</summary>
internal static class PythonBaseline
{
    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var script = FindScript();
        if (script is null)
        {
            await Console.Error.WriteLineAsync("python baseline: bench/python_baseline.py not found; skipped");
            return;
        }

        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        if (options.Quick)
        {
            start.ArgumentList.Add("--quick");
        }

        foreach (var metric in options.Selected)
        {
            start.ArgumentList.Add(metric);
        }

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            await Console.Error.WriteLineAsync("python baseline: python3 is not on PATH; skipped");
            return;
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            while (await process!.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                report.Add(root.GetProperty("metric").GetString()!, root.GetProperty("value").GetDouble(), root.GetProperty("unit").GetString()!, root.GetProperty("impl").GetString()!);
            }

            await process.WaitForExitAsync(timeout.Token);
        }
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "python_baseline.py");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
