using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

public sealed class BarrierActorSpecs : TestKit
{
    private static BarrierActor.WaitReply Passed(long id, int index) => new(id, BarrierActor.Outcome.Passed, index, null);

    private static BarrierActor.WaitReply Broken(long id) => new(id, BarrierActor.Outcome.Broken, -1, null);

    [Fact]
    public void Parties_pass_together_with_their_arrival_index_and_the_barrier_can_be_reused()
    {
        var barrier = Sys.ActorOf(BarrierActor.Props(3, -1, null));
        var probes = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };
        for (var generation = 0; generation < 2; generation++)
        {
            barrier.Tell(new BarrierActor.Wait(1, -1), probes[0]);
            barrier.Tell(new BarrierActor.Wait(2, -1), probes[1]);
            probes[0].ExpectNoMsg(TimeSpan.FromMilliseconds(100));
            barrier.Tell(new BarrierActor.Wait(3, -1), probes[2]);
            probes[0].ExpectMsg(Passed(1, 0));
            probes[1].ExpectMsg(Passed(2, 1));
            probes[2].ExpectMsg(Passed(3, 2));
        }
    }

    [Fact]
    public void The_last_party_runs_the_action_before_the_others_pass_and_a_failed_action_breaks_the_barrier()
    {
        byte[] action = [1, 2, 3];
        var barrier = Sys.ActorOf(BarrierActor.Props(2, -1, action));
        var first = CreateTestProbe();
        var last = CreateTestProbe();
        barrier.Tell(new BarrierActor.Wait(1, -1), first);
        barrier.Tell(new BarrierActor.Wait(2, -1), last);
        var run = last.ExpectMsg<BarrierActor.WaitReply>();
        Assert.Equal(BarrierActor.Outcome.RunAction, run.Outcome);
        Assert.Equal(action, run.Action);
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        barrier.Tell(new BarrierActor.ActionDone(2, true), last);
        first.ExpectMsg(Passed(1, 0));
        last.ExpectMsg(Passed(2, 1));

        barrier.Tell(new BarrierActor.Wait(3, -1), first);
        barrier.Tell(new BarrierActor.Wait(4, -1), last);
        last.ExpectMsg<BarrierActor.WaitReply>();
        barrier.Tell(new BarrierActor.ActionDone(4, false), last);
        first.ExpectMsg(Broken(3));
        last.ExpectMsg(Broken(4));
    }

    [Fact]
    public void A_timeout_breaks_the_barrier_until_reset()
    {
        var barrier = Sys.ActorOf(BarrierActor.Props(2, -1, null));
        barrier.Tell(new BarrierActor.Wait(1, 50));
        ExpectMsg(Broken(1), TimeSpan.FromSeconds(3));
        barrier.Tell(new BarrierActor.Wait(2, -1));
        ExpectMsg(Broken(2));
        barrier.Tell(new BarrierActor.Query(3));
        ExpectMsg(new BarrierActor.State(3, 2, 0, true));

        barrier.Tell(new BarrierActor.Reset(4));
        ExpectMsg(new WaitProtocol.Ack(4));
        var other = CreateTestProbe();
        barrier.Tell(new BarrierActor.Wait(5, -1), other);
        barrier.Tell(new BarrierActor.Wait(6, -1));
        other.ExpectMsg(Passed(5, 0));
        ExpectMsg(Passed(6, 1));
    }

    [Fact]
    public void Abort_breaks_the_waiters_and_a_cancelled_wait_leaves_the_barrier_whole()
    {
        var barrier = Sys.ActorOf(BarrierActor.Props(3, -1, null));
        var waiter = CreateTestProbe();
        barrier.Tell(new BarrierActor.Wait(1, -1), waiter);
        barrier.Tell(new WaitProtocol.Cancel(1));
        Assert.Equal(BarrierActor.Outcome.Cancelled, waiter.ExpectMsg<BarrierActor.WaitReply>().Outcome);
        barrier.Tell(new BarrierActor.Query(2));
        ExpectMsg(new BarrierActor.State(2, 3, 0, false));

        barrier.Tell(new BarrierActor.Wait(3, -1), waiter);
        barrier.Tell(new BarrierActor.Abort(4));
        ExpectMsg(new WaitProtocol.Ack(4));
        waiter.ExpectMsg(Broken(3));
    }

    [Fact]
    public void The_death_of_a_waiting_party_breaks_the_barrier()
    {
        var barrier = Sys.ActorOf(BarrierActor.Props(3, -1, null));
        barrier.Tell(new BarrierActor.Wait(1, -1), CreateTestProbe());
        barrier.Tell(new BarrierActor.Query(1));
        ExpectMsg(new BarrierActor.State(1, 3, 1, false)); // started, so subscribed to node deaths
        Sys.EventStream.Publish(new NodeProtocol.NodeDown(((ExtendedActorSystem)Sys).Provider.DefaultAddress));
        AwaitAssert(() =>
        {
            barrier.Tell(new BarrierActor.Query(2));
            ExpectMsg(new BarrierActor.State(2, 3, 0, true), TimeSpan.FromMilliseconds(500));
        }, TimeSpan.FromSeconds(3));
    }
}
