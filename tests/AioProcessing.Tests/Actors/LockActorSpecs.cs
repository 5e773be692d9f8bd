using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

public sealed class LockActorSpecs : TestKit
{
    // A grant of request <paramref name="id"/>, whatever its fencing token (FencingSpecs check the tokens).
    private static Predicate<WaitProtocol.Result> Granted(long id) => r => r.RequestId == id && r.Outcome == WaitProtocol.Outcome.Granted;

    [Fact]
    public void A_free_lock_is_granted_at_once_and_a_second_acquire_waits_until_release()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite), TestActor);
        ExpectMsg<WaitProtocol.Result>(Granted(1));

        var second = CreateTestProbe();
        lck.Tell(new LockActor.Acquire(2, WaitProtocol.Infinite), second);
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        lck.Tell(new LockActor.Release(99), TestActor);
        ExpectMsg(new WaitProtocol.Ack(99));
        second.ExpectMsg<WaitProtocol.Result>(Granted(2));
    }

    [Fact]
    public void Waiters_are_served_first_come_first_served()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite), TestActor);
        ExpectMsg<WaitProtocol.Result>(Granted(1));
        var probes = Enumerable.Range(0, 5).Select(_ => CreateTestProbe()).ToArray();
        for (var i = 0; i < probes.Length; i++)
        {
            lck.Tell(new LockActor.Acquire(10 + i, WaitProtocol.Infinite), probes[i]);
        }

        for (var i = 0; i < probes.Length; i++)
        {
            lck.Tell(new LockActor.Release(99), TestActor);
            ExpectMsg(new WaitProtocol.Ack(99));
            probes[i].ExpectMsg<WaitProtocol.Result>(Granted(10 + i));
        }
    }

    [Fact]
    public void A_non_blocking_acquire_of_a_held_lock_times_out_at_once()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite));
        ExpectMsg<WaitProtocol.Result>(Granted(1));
        lck.Tell(new LockActor.Acquire(2, 0));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.TimedOut));
    }

    [Fact]
    public void A_timed_acquire_times_out_and_does_not_take_the_lock_later()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite));
        ExpectMsg<WaitProtocol.Result>(Granted(1));
        lck.Tell(new LockActor.Acquire(2, 100));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.TimedOut), TimeSpan.FromSeconds(3));

        lck.Tell(new LockActor.Release(99));
        ExpectMsg(new WaitProtocol.Ack(99));
        lck.Tell(new LockActor.Acquire(3, 0));
        ExpectMsg<WaitProtocol.Result>(Granted(3));
    }

    [Fact]
    public void A_cancelled_waiter_is_answered_cancelled_and_never_granted()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite));
        ExpectMsg<WaitProtocol.Result>(Granted(1));
        var waiter = CreateTestProbe();
        lck.Tell(new LockActor.Acquire(2, WaitProtocol.Infinite), waiter);
        lck.Tell(new WaitProtocol.Cancel(2));
        waiter.ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Cancelled));

        lck.Tell(new LockActor.Release(99));
        ExpectMsg(new WaitProtocol.Ack(99));
        waiter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        lck.Tell(new LockActor.Acquire(3, 0));
        ExpectMsg<WaitProtocol.Result>(Granted(3));
    }

    [Fact]
    public void Releasing_an_unheld_lock_fails()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Release(99));
        var failed = ExpectMsg<WaitProtocol.Failed>();
        Assert.Equal(99, failed.RequestId);
        Assert.Equal(WaitProtocol.FailureKind.NotHeld, failed.Kind);
    }

    [Fact]
    public void A_release_that_wants_no_answer_gets_none_and_still_hands_the_lock_on()
    {
        var lck = Sys.ActorOf(LockActor.Props());
        lck.Tell(new LockActor.Acquire(1, WaitProtocol.Infinite));
        ExpectMsg<WaitProtocol.Result>(Granted(1));
        var next = CreateTestProbe();
        lck.Tell(new LockActor.Acquire(2, WaitProtocol.Infinite), next);
        lck.Tell(new LockActor.Release(WaitProtocol.NoReply));
        next.ExpectMsg<WaitProtocol.Result>(Granted(2));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
