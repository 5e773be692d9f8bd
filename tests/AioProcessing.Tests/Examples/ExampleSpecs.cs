using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Examples;

/// <summary>
/// The programs under examples/ run as a user runs them (their own build output, their own process, their own
/// worker processes), and print what their comments promise.
/// </summary>
public sealed class ExampleSpecs
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);

    [Fact(Timeout = Bounds.Spec)]
    public async Task Quickstart_prints_the_childs_results_then_78()
    {
        var (output, error) = await RunAsync("Quickstart");

        // Exactly its own lines, and nothing on either stream from the library or Akka (no logging was configured).
        var lines = Lines(output);
        Assert.Equal(["Got result 6", "Got result 7", "Got result 8", "Got result 9", "Got result 10", "Got result 78"], lines);
        Assert.Equal("", error.Trim());
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task PoolProgress_counts_the_primes_right_and_draws_its_bar_to_the_end()
    {
        var (output, _) = await RunAsync("PoolProgress");

        const int Largest = 300_000 + (200 * 997);
        Assert.Contains("] 200/200", output, StringComparison.Ordinal);
        Assert.Matches($@"200 maps on \d+ processes in [\d.]+ s; primes below {Largest}: {PrimesBelow(Largest)}\b", output);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task HostedApp_logs_the_pools_squares_and_the_child_processs_items_then_stops_with_the_host()
    {
        var (output, _) = await RunAsync("HostedApp");

        Assert.Contains("Squares from the pool: 1, 4, 9, 16, 25, 36, 49, 64, 81, 100", output, StringComparison.Ordinal);
        var items = Regex.Matches(output, @"From process \d+: (\d+)").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal([100, 200, 300, 400, 500], items);
        Assert.Contains("Producer exited with 0", output, StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task ActorProtocol_prints_the_sum_an_actor_took_under_the_lock_and_its_square_from_a_worker()
    {
        var (output, _) = await RunAsync("ActorProtocol");

        Assert.Contains("Orders 3 + 4 + 5 = 12; squared by a worker process: 144", output, StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Observability_exports_the_meters_instruments_and_the_calls_spans_through_OpenTelemetry()
    {
        var (output, _) = await RunAsync("Observability");
        Assert.Contains("SUM 15 SQUARES 338350", Lines(output));
        Assert.Contains("LOCKED False", Lines(output));
        foreach (var instrument in new[] { "aio.queue.puts", "aio.queue.gets", "aio.queue.depth", "aio.lock.waiters", "aio.lock.hold_time", "aio.pool.tasks.done", "aio.pool.tasks.queued", "aio.pool.tasks.running", "aio.workers", "aio.call.duration" })
        {
            Assert.Contains($"Metric Name: {instrument},", output, StringComparison.Ordinal);
        }

        Assert.Contains("Activity.DisplayName:        aio PoolActor.Submit", output, StringComparison.Ordinal);
        Assert.Contains("Activity.DisplayName:        aio LockActor.Acquire", output, StringComparison.Ordinal);
    }

    /// <summary>Runs the example's own build (same configuration as this test's) and returns its output and error streams once it exited 0.</summary>
    private static async Task<(string Output, string Error)> RunAsync(string example)
    {
        var dll = ExampleDll(example);
        Assert.True(File.Exists(dll), $"{example} is not built at {dll} (the test project builds it: see its ProjectReference).");
        await using var program = ChildProgram.StartProgram(dll, secret: null);
        var (output, exitCode) = await program.CompleteAsync(Within);
        Assert.True(exitCode == 0, $"{example} exited with {exitCode}.\nOutput:\n{output}\nError:\n{program.Error}");
        return (output, program.Error);
    }

    private static string ExampleDll(string example)
    {
        var configuration = typeof(ExampleSpecs).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        return SourceTree.Path("examples", example, "bin", configuration, framework, $"{example}.dll");
    }

    private static string[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // A sieve: a different method from the example's trial division, so the spec checks its answer rather than repeats it.
    private static int PrimesBelow(int limit)
    {
        var composite = new bool[limit];
        var count = 0;
        for (var n = 2; n < limit; n++)
        {
            if (composite[n])
            {
                continue;
            }

            count++;
            for (var m = (long)n * n; m < limit; m += n)
            {
                composite[m] = true;
            }
        }

        return count;
    }
}
