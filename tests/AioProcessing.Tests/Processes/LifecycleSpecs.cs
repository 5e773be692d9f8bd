using System.Diagnostics;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>Contexts that end, nodes that never join, and coordinators that die.</summary>
public sealed class LifecycleSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task A_worker_process_disposed_from_several_threads_at_once_is_killed_once_without_an_error()
    {
        // A warm node's exit watch and the context's disposal once disposed the same process together, and
        // Process.Close() threw. Each round races eight disposals of a live OS process.
        var bootstrap = new AioProcessing.Node.Worker.WorkerBootstrap("akka.tcp://aio@127.0.0.1:1", "node", "secret", "none", [], null);
        for (var round = 0; round < 10; round++)
        {
            var os = Process.Start(new ProcessStartInfo("sleep", "30") { RedirectStandardInput = true, RedirectStandardError = true })!;
            var worker = new AioProcessing.Node.Worker.WorkerProcess(os, bootstrap);
            using var start = new Barrier(8);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait(Bounds.Remote);
                worker.Dispose();
            })));
            Assert.Equal(9, worker.SignalSent);
            Assert.True(await OsProcesses.EndedAsync(worker.Pid), $"sleep (pid {worker.Pid}) still runs after the disposals");
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Disposing_a_context_kills_its_daemon_processes()
    {
        var context = await AioContext.StartAsync();
        AioProcess p;
        try
        {
            p = new AioProcess(context, SleepLong) { Daemon = true };
            await p.StartAsync();
            Assert.Throws<InvalidOperationException>(() => p.Daemon = false);
            Assert.True(p.IsAlive);
        }
        finally
        {
            await context.DisposeAsync();
        }

        Assert.False(p.IsAlive);
        Assert.Equal(-9, p.ExitCode);
        Assert.False(OsProcesses.Exists(p.Pid!.Value));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Disposing_a_context_lets_a_non_daemon_process_finish_first()
    {
        var context = await AioContext.StartAsync();
        AioProcess p;
        try
        {
            var started = new AioEvent(context);
            p = new AioProcess(context, SleepBriefly, started);
            await p.StartAsync();
            Assert.True(await started.WaitAsync(Bounds.Remote));
        }
        finally
        {
            await context.DisposeAsync();
        }

        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Start_takes_over_a_warm_node_and_the_pool_replaces_it()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { WarmNodes = 1 });
        var warmPid = await WaitForWarmNodeAsync(context);

        var pids = new AioQueue<int>(context: context);
        var p = new AioProcess(context, ReportPid, pids);
        await p.StartAsync();
        Assert.Equal(warmPid, p.Pid);
        Assert.Equal(warmPid, await pids.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);

        var replacement = await WaitForWarmNodeAsync(context);
        Assert.NotEqual(warmPid, replacement);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_taken_warm_nodes_replacement_is_launched_while_the_process_that_took_it_still_runs()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { WarmNodes = 1 });
        var warmPid = await WaitForWarmNodeAsync(context);

        // The replacement waits for the taking process to end or to be under way; this one runs until released.
        var release = new AioEvent(context);
        var p = new AioProcess(context, WaitForRelease, release);
        await p.StartAsync();
        Assert.Equal(warmPid, p.Pid);
        var replacement = await WaitForWarmNodeAsync(context);
        Assert.NotEqual(warmPid, replacement);
        Assert.True(p.IsAlive, "the process that took the node had ended before its replacement was ready");

        await release.SetAsync();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task By_default_the_first_start_leaves_a_node_ready_and_the_next_start_takes_it()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 1" });
        Assert.Equal(0, context.WarmNodesLaunched); // nothing runs before a program starts a process

        var pids = new AioQueue<int>(context: context);
        var first = new AioProcess(context, ReportPid, pids);
        await first.StartAsync();
        Assert.Equal(1, context.WarmNodesLaunched);
        Assert.True(await first.JoinAsync(Bounds.Remote));
        var ready = await WaitForWarmNodeAsync(context);
        Assert.NotEqual(first.Pid, ready);

        var second = new AioProcess(context, ReportPid, pids);
        await second.StartAsync();
        Assert.Equal(ready, second.Pid);
        Assert.True(await second.JoinAsync(Bounds.Remote));
        Assert.Equal(0, second.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_taken_warm_node_the_coordinator_no_longer_counts_idle_is_replaced_by_a_node_launched_then()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { WarmNodes = 1 });
        var warmPid = await WaitForWarmNodeAsync(context);

        // The coordinator forgets the idle node (as it was seen to lose one in a benchmark run); the process still starts.
        context.NodeManager.Tell(new AioProcessing.Actors.Nodes.NodeProtocol.ForgetWorker(Assert.Single(context.ReadyWarmNodeIds)), Akka.Actor.ActorRefs.NoSender);
        var pids = new AioQueue<int>(context: context);
        var p = new AioProcess(context, ReportPid, pids);
        await p.StartAsync();
        Assert.NotEqual(warmPid, p.Pid);
        Assert.Equal(p.Pid, await pids.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
        Assert.True(await OsProcesses.EndedAsync(warmPid), "the node given up was left running");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_ready_node_is_not_heartbeaten_while_it_waits_and_the_start_that_takes_it_watches_it()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { WarmNodes = 1 });
        var ready = await WaitForWarmNodeAsync(context);

        // Nothing runs: a node the coordinator DeathWatched would be heartbeaten every second, waking both processes.
        await Conditions.UntilAsync(async () => (await WatchedNodesAsync(context)).Count == 0, () => "the coordinator DeathWatches its ready node");

        // Taken, it runs a target: a frozen process must be found out, so from now on it is watched.
        var release = new AioEvent(context: context);
        var p = new AioProcess(context, WaitForRelease, release);
        await p.StartAsync();
        Assert.Equal(ready, p.Pid);
        await Conditions.UntilAsync(async () => (await WatchedNodesAsync(context)).Count == 1, () => "the taken node is not DeathWatched");
        await release.SetAsync();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task With_warm_nodes_at_zero_no_node_is_kept_ready()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 0" });
        var pids = new AioQueue<int>(context: context);
        var first = new AioProcess(context, ReportPid, pids);
        await first.StartAsync();
        Assert.True(await first.JoinAsync(Bounds.Remote));
        Assert.Equal(0, context.WarmNodesLaunched); // with the default (1) the first start has launched one by now
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Ready_nodes_are_retired_after_the_idle_timeout_and_the_next_start_brings_them_back()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 1\naio.node.warm-idle-timeout = 1s" });
        var pids = new AioQueue<int>(context: context);
        var first = new AioProcess(context, ReportPid, pids);
        await first.StartAsync();
        Assert.True(await first.JoinAsync(Bounds.Remote));
        var ready = await WaitForWarmNodeAsync(context);

        Assert.True(await OsProcesses.EndedAsync(ready), "the idle ready node was not retired");
        Assert.Empty(context.ReadyWarmNodePids);

        Assert.Equal(0, context.WarmNodesLaunched);

        // The next start finds none ready and brings the pool back: a node it launched joins (and may be retired
        // again a second later, which a loaded machine can make sooner than this start returns).
        var joinedBefore = context.WarmNodesJoined;
        var second = new AioProcess(context, ReportPid, pids);
        await second.StartAsync();
        await Conditions.UntilAsync(() => context.WarmNodesJoined > joinedBefore, () => "the start after retirement brought no node back");

        Assert.True(await second.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_warm_node_still_joining_is_not_retired_however_short_the_idle_timeout()
    {
        // The idle time counts from when a node is ready: one that takes longer to join than the timeout (any node,
        // at 50 ms) joins, and is retired after it.
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 1\naio.node.warm-idle-timeout = 50ms" });
        var pids = new AioQueue<int>(context: context);
        var first = new AioProcess(context, ReportPid, pids);
        await first.StartAsync();
        Assert.True(await first.JoinAsync(Bounds.Remote));
        await Conditions.UntilAsync(
            () => context.WarmNodesJoined > 0 && context.WarmNodesLaunched == 0,
            () => $"joined {context.WarmNodesJoined}, still launched {context.WarmNodesLaunched}");

        Assert.Equal(1, context.WarmNodesJoined);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Disposing_a_context_kills_its_idle_warm_nodes()
    {
        var context = await AioContext.StartAsync(new AioContextOptions { WarmNodes = 2 });
        int[] pids;
        try
        {
            await WaitForWarmNodeAsync(context, count: 2);
            pids = [.. context.ReadyWarmNodePids];
        }
        finally
        {
            await context.DisposeAsync();
        }

        Assert.Equal(2, pids.Length);
        Assert.All(pids, pid => Assert.False(OsProcesses.Exists(pid)));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_negative_warm_node_count_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AioContext.StartAsync(new AioContextOptions { WarmNodes = -1 }));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_node_that_does_not_join_in_time_makes_start_throw_and_is_killed()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.start-timeout = 20ms" });
        var p = new AioProcess(context, SleepLong);
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => p.StartAsync());
        Assert.Contains("did not join the coordinator within", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Its stderr:", ex.Message, StringComparison.Ordinal);
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(-9, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_worker_exits_by_itself_when_its_coordinator_process_dies()
    {
        var hostDll = Path.Combine(AppContext.BaseDirectory, "AioProcessing.TestHost.dll");
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(hostDll);
        start.ArgumentList.Add("sleeper");
        using var host = Process.Start(start)!;
        int workerPid;
        try
        {
            using var cts = new CancellationTokenSource(Bounds.Remote);
            var line = await host.StandardOutput.ReadLineAsync(cts.Token);
            Assert.NotNull(line);
            Assert.StartsWith("WORKER ", line, StringComparison.Ordinal);
            workerPid = int.Parse(line["WORKER ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(OsProcesses.Exists(workerPid));
        }
        finally
        {
            host.Kill(entireProcessTree: false);
            await host.WaitForExitAsync();
        }

        var deadline = Stopwatch.StartNew();
        while (OsProcesses.Exists(workerPid) && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        try
        {
            Assert.False(OsProcesses.Exists(workerPid), "the worker outlived its coordinator by 5 s");
        }
        finally
        {
            if (OsProcesses.Exists(workerPid))
            {
                Process.GetProcessById(workerPid).Kill();
            }
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_worker_without_a_lane_exits_by_itself_when_its_connection_to_a_live_coordinator_drops()
    {
        // A spawned node does not DeathWatch its coordinator (that would heartbeat it every second): without a lane,
        // the connection dropping is what ends it (with one, the lane's closing: LaneLifeSpecs). Quarantining the
        // worker's node cuts the connection while the coordinator lives.
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.lane.enabled = off" });
        var addresses = new AioQueue<string>(context: context);
        var p = new AioProcess(context, ReportAddressAndSleep, addresses);
        await p.StartAsync();
        var worker = Akka.Actor.Address.Parse(await addresses.GetAsync(Bounds.Remote));
        var provider = (Akka.Remote.IRemoteActorRefProvider)((Akka.Actor.ExtendedActorSystem)context.System).Provider;
        provider.Quarantine(worker, null);
        Assert.True(await p.JoinAsync(Bounds.Remote), "the worker still runs after its connection to the coordinator was cut");
        Assert.Equal(AioProcessing.Node.Worker.WorkerExitCodes.CoordinatorLost, p.ExitCode);
    }

    private static async Task<int> WaitForWarmNodeAsync(AioContext context, int count = 1)
    {
        await Conditions.UntilAsync(() => context.ReadyWarmNodePids.Count >= count, () => "no warm node joined in time");
        return context.ReadyWarmNodePids[0];
    }

    private static void ReportPid(AioQueue<int> pids) => pids.Put(Environment.ProcessId);

    // The nodes whose actors the coordinator DeathWatches, as Akka.Remote's watcher (which heartbeats each) counts them.
    private static async Task<IReadOnlyCollection<Akka.Actor.Address>> WatchedNodesAsync(AioContext context)
    {
        var stats = await Akka.Actor.Futures.Ask<Akka.Remote.RemoteWatcher.Stats>(context.System.ActorSelection("/system/remote-watcher"), Akka.Remote.RemoteWatcher.Stats.Empty, Bounds.Remote);
        return stats.WatchingAddresses;
    }

    private static void WaitForRelease(AioEvent release) => release.Wait(Bounds.Remote);

    private static void SleepLong() => Thread.Sleep(TimeSpan.FromMinutes(2));

    private static void ReportAddressAndSleep(AioQueue<string> addresses)
    {
        addresses.Put(AioContext.Default.LocalAddress.ToString());
        SleepLong();
    }

    private static void SleepBriefly(AioEvent started)
    {
        started.Set();
        Thread.Sleep(500);
    }
}
