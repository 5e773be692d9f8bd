using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

public sealed class SemaphoreActorSpecs : TestKit
{
    // A grant of request <paramref name="id"/>, whatever its fencing token (FencingSpecs check the tokens).
    private static Predicate<WaitProtocol.Result> Granted(long id) => r => r.RequestId == id && r.Outcome == WaitProtocol.Outcome.Granted;

    [Fact]
    public void Permits_are_granted_until_none_is_free_then_waiters_are_served_in_order()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(2, bounded: false));
        sem.Tell(new SemaphoreActor.Acquire(1, WaitProtocol.Infinite));
        ExpectMsg<WaitProtocol.Result>(Granted(1));
        sem.Tell(new SemaphoreActor.Acquire(2, WaitProtocol.Infinite));
        ExpectMsg<WaitProtocol.Result>(Granted(2));
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        sem.Tell(new SemaphoreActor.Acquire(3, WaitProtocol.Infinite), a);
        sem.Tell(new SemaphoreActor.Acquire(4, WaitProtocol.Infinite), b);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        sem.Tell(new SemaphoreActor.Release(5, 1));
        ExpectMsg(new WaitProtocol.Ack(5));
        a.ExpectMsg<WaitProtocol.Result>(Granted(3));
        b.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        sem.Tell(new SemaphoreActor.Query(6));
        ExpectMsg(new SemaphoreActor.State(6, 0));
    }

    [Fact]
    public void A_plain_semaphore_may_be_released_beyond_its_initial_value()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(0, bounded: false));
        sem.Tell(new SemaphoreActor.Release(1, 3));
        ExpectMsg(new WaitProtocol.Ack(1));
        sem.Tell(new SemaphoreActor.Query(2));
        ExpectMsg(new SemaphoreActor.State(2, 3));
    }

    [Fact]
    public void A_bounded_semaphore_refuses_a_release_beyond_its_initial_value()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(1, bounded: true));
        sem.Tell(new SemaphoreActor.Release(1, 1));
        Assert.Equal(WaitProtocol.FailureKind.Full, ExpectMsg<WaitProtocol.Failed>().Kind);
        sem.Tell(new SemaphoreActor.Acquire(2, 0));
        ExpectMsg<WaitProtocol.Result>(Granted(2));
        sem.Tell(new SemaphoreActor.Release(3, 1));
        ExpectMsg(new WaitProtocol.Ack(3));
    }
}

/// <summary>When a process's node goes down, what it held comes back and its waiters are withdrawn.</summary>
public sealed class NodeDownSpecs : TestKit
{
    // Every probe of this test system shares its address, so "this node down" stands for the holder's death.
    private Address Here => ((ExtendedActorSystem)Sys).Provider.DefaultAddress;

    [Fact]
    public void A_lock_held_by_a_dead_node_is_released()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        var holder = CreateTestProbe();
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite), holder);
        holder.ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted, FencingToken: 1));
        lck.Tell(new LockActor.Acquire(2, 0));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.TimedOut));

        Sys.EventStream.Publish(new NodeProtocol.NodeDown(Here));
        AwaitAssert(() =>
        {
            lck.Tell(new LockActor.Acquire(3, 0));
            ExpectMsg(new WaitProtocol.Result(3, WaitProtocol.Outcome.Granted, FencingToken: 2), TimeSpan.FromMilliseconds(500));
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Permits_held_by_a_dead_node_are_returned_and_its_waiters_withdrawn()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(1, bounded: true));
        sem.Tell(new SemaphoreActor.Acquire(1, WaitProtocol.Infinite));
        ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted, FencingToken: 1));
        var waiter = CreateTestProbe();
        sem.Tell(new SemaphoreActor.Acquire(2, WaitProtocol.Infinite), waiter);
        sem.Tell(new SemaphoreActor.Query(9));
        ExpectMsg(new SemaphoreActor.State(9, 0)); // started, so subscribed to node deaths

        Sys.EventStream.Publish(new NodeProtocol.NodeDown(Here));
        AwaitAssert(() =>
        {
            sem.Tell(new SemaphoreActor.Query(3));
            ExpectMsg(new SemaphoreActor.State(3, 1), TimeSpan.FromMilliseconds(500));
        }, TimeSpan.FromSeconds(3));
        waiter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
