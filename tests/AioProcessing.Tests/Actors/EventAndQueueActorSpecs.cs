using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

public sealed class EventActorSpecs : TestKit
{
    [Fact]
    public void Set_wakes_every_waiter_and_later_waits_pass_until_clear()
    {
        var ev = Sys.ActorOf(EventActor.Props());
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        ev.Tell(new EventActor.Wait(1, WaitProtocol.Infinite), a);
        ev.Tell(new EventActor.Wait(2, WaitProtocol.Infinite), b);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        ev.Tell(new EventActor.Set(20));
        ExpectMsg(new WaitProtocol.Ack(20));
        a.ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted));
        b.ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Granted));

        ev.Tell(new EventActor.Wait(3, 0));
        ExpectMsg(new WaitProtocol.Result(3, WaitProtocol.Outcome.Granted));
        ev.Tell(new EventActor.Clear(21));
        ExpectMsg(new WaitProtocol.Ack(21));
        ev.Tell(new EventActor.Query(22));
        ExpectMsg(new EventActor.State(22, false));
        ev.Tell(new EventActor.Wait(4, 50));
        ExpectMsg(new WaitProtocol.Result(4, WaitProtocol.Outcome.TimedOut), TimeSpan.FromSeconds(3));
    }
}

public sealed class QueueActorSpecs : TestKit
{
    private static byte[] Item(byte b) => [b];

    [Fact]
    public void Items_come_out_in_the_order_they_went_in()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        for (byte i = 0; i < 5; i++)
        {
            q.Tell(new QueueActor.Put(i, Item(i), WaitProtocol.Infinite));
            ExpectMsg(new WaitProtocol.Result(i, WaitProtocol.Outcome.Granted));
        }

        for (byte i = 0; i < 5; i++)
        {
            q.Tell(new QueueActor.Get(100 + i, 0));
            var reply = ExpectMsg<QueueActor.GetReply>();
            Assert.Equal(WaitProtocol.Outcome.Granted, reply.Outcome);
            Assert.Equal(Item(i), reply.Item);
        }
    }

    [Fact]
    public void A_waiting_getter_receives_the_next_put()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var getter = CreateTestProbe();
        q.Tell(new QueueActor.Get(1, WaitProtocol.Infinite), getter);
        getter.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        q.Tell(new QueueActor.Put(2, Item(7), WaitProtocol.Infinite));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Granted));
        var reply = getter.ExpectMsg<QueueActor.GetReply>();
        Assert.Equal(Item(7), reply.Item);
    }

    [Fact]
    public void A_full_bounded_queue_makes_putters_wait_until_a_get_frees_room()
    {
        var q = Sys.ActorOf(QueueActor.Props(1));
        q.Tell(new QueueActor.Put(1, Item(1), WaitProtocol.Infinite));
        ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted));
        q.Tell(new QueueActor.Put(2, Item(2), 0));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.TimedOut));

        var putter = CreateTestProbe();
        q.Tell(new QueueActor.Put(3, Item(3), WaitProtocol.Infinite), putter);
        putter.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        q.Tell(new QueueActor.Get(4, 0));
        Assert.Equal(Item(1), ExpectMsg<QueueActor.GetReply>().Item);
        putter.ExpectMsg(new WaitProtocol.Result(3, WaitProtocol.Outcome.Granted));
        q.Tell(new QueueActor.CountQuery(5));
        ExpectMsg(new QueueActor.CountReply(5, 1, 1));
    }

    [Fact]
    public void A_cancelled_getter_takes_no_item()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var getter = CreateTestProbe();
        q.Tell(new QueueActor.Get(1, WaitProtocol.Infinite), getter);
        q.Tell(new WaitProtocol.Cancel(1));
        Assert.Equal(WaitProtocol.Outcome.Cancelled, getter.ExpectMsg<QueueActor.GetReply>().Outcome);

        q.Tell(new QueueActor.Put(2, Item(9), WaitProtocol.Infinite));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Granted));
        getter.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        q.Tell(new QueueActor.Get(3, 0));
        Assert.Equal(Item(9), ExpectMsg<QueueActor.GetReply>().Item);
    }

    [Fact]
    public void A_timed_get_on_an_empty_queue_times_out()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        q.Tell(new QueueActor.Get(1, 50));
        Assert.Equal(WaitProtocol.Outcome.TimedOut, ExpectMsg<QueueActor.GetReply>(TimeSpan.FromSeconds(3)).Outcome);
    }
}
