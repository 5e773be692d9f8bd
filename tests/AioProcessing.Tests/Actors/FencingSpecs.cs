using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

/// <summary>Every grant of a lock or a semaphore permit carries a fencing token that grows with each grant.</summary>
public sealed class FencingSpecs : TestKit
{
    private Address Here => ((ExtendedActorSystem)Sys).Provider.DefaultAddress;

    [Fact]
    public void Each_grant_of_a_lock_carries_a_larger_token_including_the_grant_to_the_next_waiter_after_a_holders_death()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite));
        ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted, FencingToken: 1));
        lck.Tell(new LockActor.Release(2));
        ExpectMsg(new WaitProtocol.Ack(2));

        // Held by a process that then dies: the next waiter gets the lock with a larger token, so anything the dead
        // holder still sends with its old token can be told apart.
        var frozen = CreateTestProbe();
        lck.Tell(new LockActor.Acquire(3, WaitProtocol.Infinite), frozen);
        frozen.ExpectMsg(new WaitProtocol.Result(3, WaitProtocol.Outcome.Granted, FencingToken: 2));
        var next = CreateTestProbe();
        lck.Tell(new LockActor.Acquire(4, 0), next);
        next.ExpectMsg(new WaitProtocol.Result(4, WaitProtocol.Outcome.TimedOut));
        Sys.EventStream.Publish(new NodeProtocol.NodeDown(Here));
        AwaitAssert(
            () =>
            {
                lck.Tell(new LockActor.Acquire(5, 0), next);
                next.ExpectMsg(new WaitProtocol.Result(5, WaitProtocol.Outcome.Granted, FencingToken: 3), TimeSpan.FromMilliseconds(500));
            },
            TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Each_permit_of_a_semaphore_carries_its_own_larger_token()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(2, bounded: false));
        sem.Tell(new SemaphoreActor.Acquire(1, WaitProtocol.Infinite));
        sem.Tell(new SemaphoreActor.Acquire(2, WaitProtocol.Infinite));
        ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted, FencingToken: 1));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Granted, FencingToken: 2));
        sem.Tell(new SemaphoreActor.Acquire(3, WaitProtocol.Infinite));
        sem.Tell(new SemaphoreActor.Release(WaitProtocol.NoReply, 1));
        ExpectMsg(new WaitProtocol.Result(3, WaitProtocol.Outcome.Granted, FencingToken: 3));
    }
}
