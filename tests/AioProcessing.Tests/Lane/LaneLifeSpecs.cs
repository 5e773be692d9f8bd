using System.Diagnostics;
using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using AioProcessing.Node.Worker;
using AioProcessing.Tests.Support;
using Akka.Actor;
using Xunit;

namespace AioProcessing.Tests.Lane;

/// <summary>
/// While a spawned worker has a lane, the lane's closing is its death, on both sides. Akka.Remote also drops the
/// association of two live processes (the kernel tears the TCP connection down here, as a transient network error
/// would): neither side may then take the other for dead, and the coordinator must keep watching the worker, so that a
/// frozen one is still found out.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LaneLifeSpecs
{
    private const string OnTheLane = "aio.lane.enabled = on\naio.node.warm-nodes = 0";

    [Fact(Timeout = Bounds.Spec)]
    public async Task When_the_association_of_a_worker_with_a_lane_drops_it_keeps_its_lock_and_finishes_its_target()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = OnTheLane });
        var worker = await LockHoldingWorker.StartAsync(context);

        await DropAssociationAsync(context, worker.Process);
        // What the node manager did with the drop is ahead of this query, and what it published ahead of the acquire.
        await context.NodeManager.Ask<object>(new NodeProtocol.StatusQuery(1), Bounds.Remote);
        Assert.False(await worker.Lock.AcquireAsync(TimeSpan.Zero), "the coordinator gave back the lock of a live worker whose association dropped");

        await worker.Go.SetAsync();
        Assert.True(await worker.Process.JoinAsync(Bounds.Remote));
        Assert.Equal(0, worker.Process.ExitCode);
        Assert.True(await worker.Done.IsSetAsync(), "the worker did not finish its target");
        Assert.True(await worker.Lock.AcquireAsync(Bounds.Remote), "the lock the worker released is still held");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task After_its_association_dropped_a_worker_with_a_lane_that_freezes_is_still_found_out_and_stops_when_it_resumes()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = OnTheLane });
        var worker = await LockHoldingWorker.StartAsync(context);
        await DropAssociationAsync(context, worker.Process);

        // Akka dropped the watch with the association; only a watch made again lets the failure detector see the
        // freeze. The lane stays open, so nothing else would.
        await worker.FreezeUntilDeclaredDeadThenAssertItStopsAsync();
    }

    // Tears down the worker's association (the lane is a Unix socket, untouched), then waits until the coordinator
    // reaches the worker's node over Akka.Remote again.
    private static async Task DropAssociationAsync(AioContext context, AioProcess worker)
    {
        await DropTcpConnectionsAsync(context.LocalAddress.Port!.Value);
        var status = (PrimitiveHost.Status)await context.NodeManager.Ask<object>(new NodeProtocol.StatusQuery(2), Bounds.Remote);
        var node = Address.Parse(status.Nodes.Single(n => n.Pid == worker.Pid).Address);
        await UntilReachableAsync(context.System.ActorSelection(new RootActorPath(node) / "user" / WorkerNode.Name));
    }

    // Every TCP connection of the port, both directions: the kernel tears them down with both processes alive.
    private static async Task DropTcpConnectionsAsync(int port)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-K", "-t", $"( sport = :{port} or dport = :{port} )"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var bound = new CancellationTokenSource(Bounds.Remote);
        var error = ss.StandardError.ReadToEndAsync(bound.Token);
        await ss.StandardOutput.ReadToEndAsync(bound.Token);
        await ss.WaitForExitAsync(bound.Token);
        Assert.True(ss.ExitCode == 0, $"ss -K exited {ss.ExitCode}: {await error}");
    }

    private static Task UntilReachableAsync(ActorSelection actor) =>
        Conditions.UntilAsync(
            async () =>
            {
                try
                {
                    return (await actor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(1))).Subject is not null;
                }
                catch (AskTimeoutException)
                {
                    return false;
                }
            },
            () => $"{actor.PathString} was never reached over Akka.Remote again");
}
