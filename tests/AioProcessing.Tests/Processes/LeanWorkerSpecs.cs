using System.Diagnostics;
using System.Runtime.InteropServices;
using AioProcessing.Node.Worker;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>What an idle worker node holds: the assemblies it loads, and the free memory it gives back.</summary>
public sealed class LeanWorkerSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task A_worker_node_loads_no_service_provider_no_app_config_reader_no_json_serializer_and_no_logging_factory()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 0" });
        var loaded = new AioQueue<string[]>(context: context);
        var p = new AioProcess(context, ReportAssemblies, loaded);
        await p.StartAsync();
        var names = await loaded.GetAsync(Bounds.Remote);
        Assert.Contains("Akka.Remote", names);
        Assert.DoesNotContain("Microsoft.Extensions.DependencyInjection", names);
        Assert.DoesNotContain("System.Configuration.ConfigurationManager", names);
        Assert.DoesNotContain("System.Private.Xml", names);
        Assert.DoesNotContain("Newtonsoft.Json", names);
        // DotNetty's own log factory, which would log only to an EventSource (WorkerNettyLog).
        Assert.DoesNotContain("Microsoft.Extensions.Logging", names);
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_worker_whose_target_stops_allocating_is_trimmed_with_one_compacting_full_collection()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 0\naio.node.idle-trim = 200ms" });
        var report = new AioQueue<string>(context: context);
        var p = new AioProcess(context, AllocateThenWaitForATrim, report);
        await p.StartAsync();
        Assert.Equal("trimmed: compacted gen 2", await report.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_quiet_workers_trim_drops_its_clean_image_pages_from_its_resident_set()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // A trim comes at the earliest one quiet interval after the target started. At 200 ms a loaded machine once
        // let it run before the target had read how many file pages were resident, and nothing was left to drop.
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 0\naio.node.idle-trim = 1s" });
        var report = new AioQueue<string>(context: context);
        var p = new AioProcess(context, WaitForImagePagesToLeave, report);
        await p.StartAsync();
        // Longer than the target waits, so that its own report says what it saw.
        Assert.StartsWith("dropped", await report.GetAsync(Bounds.Remote * 2), StringComparison.Ordinal);
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Theory]
    [InlineData(null, 4_000_000, true)]
    [InlineData(null, IdleTrim.MaxHeapBytes, true)]
    [InlineData(1, 4_000_000, false)]
    [InlineData(IdleTrim.ChecksBetweenTrims - 1, 4_000_000, false)]
    [InlineData(IdleTrim.ChecksBetweenTrims, 4_000_000, true)]
    [InlineData(null, IdleTrim.MaxHeapBytes + 1, false)]
    [InlineData(IdleTrim.ChecksBetweenTrims, IdleTrim.MaxHeapBytes + 1, false)]
    public void A_quiet_spell_is_trimmed_at_its_start_and_then_every_few_checks_and_only_with_a_small_heap(int? checksSinceTrim, long heap, bool trims) =>
        Assert.Equal(trims, IdleTrim.ShouldTrim(checksSinceTrim, heap));

    [Theory]
    [InlineData(0, false, false)]
    [InlineData(IdleTrim.QuietBytes - 1, false, false)]
    [InlineData(IdleTrim.QuietBytes, false, true)]
    [InlineData(0, true, true)]
    public void A_quiet_spell_ends_when_the_process_allocates_or_a_target_starts(long allocated, bool targetStarted, bool ends) =>
        Assert.Equal(ends, IdleTrim.EndsQuietSpell(allocated, targetStarted));

    [Fact]
    public void Trimming_gives_the_native_heaps_free_pages_back_where_free_alone_keeps_them()
    {
        // 96 MB in blocks below glibc's mmap threshold, so they live in a malloc heap; the last one stays allocated,
        // so that free() cannot give the rest back by shrinking the heap from its top.
        var before = ResidentBytes();
        var blocks = Enumerable.Range(0, 1536).Select(_ => Marshal.AllocHGlobal(64 * 1024)).ToArray();
        var pin = Marshal.AllocHGlobal(64 * 1024);
        var ones = Enumerable.Repeat((byte)1, 64 * 1024).ToArray();
        try
        {
            foreach (var block in blocks)
            {
                Marshal.Copy(ones, 0, block, ones.Length);
                Marshal.FreeHGlobal(block);
            }

            var freed = ResidentBytes();
            Assert.True(freed - before > 64L * 1024 * 1024, $"resident {before / 1048576} MB before the blocks, {freed / 1048576} MB after they were freed");
            Assert.True(IdleTrim.TrimNativeHeap());
            var trimmed = ResidentBytes();
            Assert.True(freed - trimmed > 48L * 1024 * 1024, $"resident {freed / 1048576} MB after free, {trimmed / 1048576} MB after the trim");
        }
        finally
        {
            Marshal.FreeHGlobal(pin);
        }
    }

    // RssFile of /proc/self/status: the resident pages of mapped files, in kB.
    internal static long ResidentFileKb() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssFile:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);

    private static void WaitForImagePagesToLeave(AioQueue<string> report)
    {
        // A started worker has far more than 16 MB of its images resident; a trim leaves a few MB of them.
        const long Drop = 16 * 1024;
        var before = ResidentFileKb();
        var now = before;
        var waited = Stopwatch.StartNew();
        while ((now = ResidentFileKb()) > before - Drop && waited.Elapsed < Bounds.Remote)
        {
            Thread.Sleep(20);
        }

        report.Put(now <= before - Drop ? $"dropped: {before} KB of file pages resident, then {now} KB" : $"still {now} of {before} KB of file pages resident after {waited.Elapsed}");
    }

    // VmRSS, from the second field of /proc/self/statm (pages).
    private static long ResidentBytes() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;

    private static void ReportAssemblies(AioQueue<string[]> loaded) =>
        loaded.Put(AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToArray());

    private static void AllocateThenWaitForATrim(AioQueue<string> report)
    {
        // More garbage than a quiet interval allows: whatever the node did before, a new quiet spell begins after it.
        var garbage = 0L;
        for (var i = 0; i < 64; i++)
        {
            garbage += new byte[64 * 1024].Length;
        }

        var before = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;
        var waited = Stopwatch.StartNew();
        while (GC.GetGCMemoryInfo(GCKind.FullBlocking).Index == before && waited.Elapsed < Bounds.Remote)
        {
            Thread.Sleep(20);
        }

        var trim = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        report.Put(trim.Index == before ? $"no trim in {waited.Elapsed} ({garbage} bytes allocated)" : $"trimmed: {(trim.Compacted ? "compacted" : "not compacted")} gen {trim.Generation}");
    }
}
