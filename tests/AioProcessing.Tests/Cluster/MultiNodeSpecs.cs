using AioProcessing.MultiNode;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Cluster;

/// <summary>Four worker nodes for one spec class.</summary>
public sealed class FourNodes : MultiNodeFixture
{
    protected override int Nodes => 4;
}

/// <summary>
/// Multi-node specs on <see cref="MultiNodeCluster"/>: code runs on chosen nodes (real OS processes joined over
/// Akka.Remote) and meets at barriers; the fixture kills every node when the class is done.
/// </summary>
public sealed class MultiNodeSpecs(FourNodes fixture) : IClassFixture<FourNodes>
{
    private readonly MultiNodeCluster _cluster = fixture.Cluster;

    [Fact(Timeout = Bounds.Spec)]
    public async Task Code_runs_on_the_chosen_node_and_its_errors_come_back_with_the_nodes_exception()
    {
        var pids = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => _cluster.RunOnAsync(i, static node => (node.Index, Environment.ProcessId))));
        Assert.Equal([0, 1, 2, 3], pids.Select(p => p.Index));
        Assert.Equal(4, pids.Select(p => p.ProcessId).Distinct().Count());
        Assert.DoesNotContain(Environment.ProcessId, pids.Select(p => p.ProcessId));
        Assert.Equal(_cluster.PidOf(2), pids[2].ProcessId);

        var error = await Assert.ThrowsAsync<RemoteException>(() => _cluster.RunOnAsync(1, static int (node) => throw new ArgumentException($"bad on node {node.Index}")));
        Assert.Equal(typeof(ArgumentException).FullName, error.RemoteType);
        Assert.Contains("bad on node 1", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Concurrent_increments_from_four_nodes_to_manager_containers_give_the_exact_total()
    {
        await using var manager = new AioManager(_cluster.Context);
        var counter = manager.Value(0);
        var hits = manager.Dict<string, int>();
        var log = manager.List<int>();

        // Every node passes the "go" barrier before incrementing, so the four really run side by side.
        await _cluster.RunOnAllAsync(async node =>
        {
            await node.EnterBarrierAsync("go");
            for (var i = 0; i < 150; i++)
            {
                counter.Increment(1);
                hits.AddOrUpdate("total", 1, (_, v) => v + 1);
                hits.AddOrUpdate($"worker-{node.Index}", 1, (_, v) => v + 1);
                log.Add(node.Index);
            }

            return true;
        });

        Assert.Equal(600, counter.Value);
        Assert.Equal(600, hits["total"]);
        Assert.Equal(4, hits.Count - 1);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(150, hits[$"worker-{i}"]));
        Assert.Equal(600, log.Count);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_barrier_that_a_node_never_reaches_breaks_for_the_others_within_its_timeout()
    {
        // Nodes 0 and 1 enter a barrier of three parties; the third never comes.
        var waits = Enumerable.Range(0, 2).Select(i => _cluster.RunOnAsync(i, static async node =>
        {
            await node.EnterBarrierAsync("never-complete", TimeSpan.FromSeconds(1), parties: 3);
            return true;
        }));
        foreach (var wait in waits)
        {
            var error = await Assert.ThrowsAsync<RemoteException>(() => wait);
            Assert.Equal(typeof(BrokenBarrierException).FullName, error.RemoteType);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_lock_held_by_a_node_that_is_killed_is_released_to_another_node()
    {
        // A cluster of its own: this spec kills a node.
        await using var cluster = await MultiNodeCluster.StartAsync(2, _cluster.Context);
        var lck = new AioLock(cluster.Context);
        Assert.True(await cluster.RunOnAsync(0, Acquire(lck, TimeSpan.FromSeconds(5))));
        Assert.False(await cluster.RunOnAsync(1, Acquire(lck, TimeSpan.FromMilliseconds(200))));

        var waiting = cluster.RunOnAsync(1, Acquire(lck, TimeSpan.FromSeconds(20)));
        Assert.True(await cluster.KillAsync(0));
        Assert.True(await waiting);
        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.RunOnAsync(0, static node => 1));
    }

    // Code sent to a node captures what it uses by value; a lambda written in the spec would share its closure with
    // the (local) cluster, which cannot travel.
    private static Func<MultiNodeContext, bool> Acquire(AioLock lck, TimeSpan timeout) => _ => lck.Acquire(timeout: timeout);
}
