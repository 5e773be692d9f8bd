using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

public sealed class QueueActorSpecs : TestKit
{
    private static byte[] Item(byte b) => [b];

    [Fact]
    public void Items_come_out_in_the_order_they_went_in_across_batched_puts()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        q.Tell(new QueueActor.Put(1, WaitProtocol.Infinite, [Item(0), Item(1)]));
        ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted));
        q.Tell(new QueueActor.Put(2, WaitProtocol.Infinite, [Item(2), Item(3), Item(4)]));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Granted));

        q.Tell(new QueueActor.Take(3, 1, 0, false, 0));
        Assert.Equal([Item(0)], ExpectMsg<QueueActor.Taken>().Items);
        q.Tell(new QueueActor.Take(4, 10, 0, false, 0));
        Assert.Equal([Item(1), Item(2), Item(3), Item(4)], ExpectMsg<QueueActor.Taken>().Items);
    }

    [Fact]
    public void A_waiting_taker_receives_the_next_put()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var taker = CreateTestProbe();
        q.Tell(new QueueActor.Take(1, 5, WaitProtocol.Infinite, false, 0), taker);
        taker.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        q.Tell(new QueueActor.Put(2, WaitProtocol.Infinite, [Item(7)]));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Granted));
        Assert.Equal([Item(7)], taker.ExpectMsg<QueueActor.Taken>().Items);
    }

    [Fact]
    public void A_full_bounded_queue_makes_putters_wait_until_a_take_frees_room()
    {
        var q = Sys.ActorOf(QueueActor.Props(1));
        q.Tell(new QueueActor.Put(1, WaitProtocol.Infinite, [Item(1)]));
        ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted));
        q.Tell(new QueueActor.Put(2, 0, [Item(2)]));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.TimedOut));

        var putter = CreateTestProbe();
        q.Tell(new QueueActor.Put(3, WaitProtocol.Infinite, [Item(3)]), putter);
        putter.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        q.Tell(new QueueActor.Take(4, 1, 0, false, 0));
        Assert.Equal([Item(1)], ExpectMsg<QueueActor.Taken>().Items);
        putter.ExpectMsg(new WaitProtocol.Result(3, WaitProtocol.Outcome.Granted));
        q.Tell(new QueueActor.CountQuery(5));
        ExpectMsg(new QueueActor.CountReply(5, 1, 1, false));
    }

    [Fact]
    public void A_cancelled_taker_takes_no_item()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var taker = CreateTestProbe();
        q.Tell(new QueueActor.Take(1, 1, WaitProtocol.Infinite, false, 0), taker);
        q.Tell(new WaitProtocol.Cancel(1));
        Assert.Equal(WaitProtocol.Outcome.Cancelled, taker.ExpectMsg<QueueActor.Taken>().Outcome);

        q.Tell(new QueueActor.Put(2, WaitProtocol.Infinite, [Item(9)]));
        ExpectMsg(new WaitProtocol.Result(2, WaitProtocol.Outcome.Granted));
        taker.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        q.Tell(new QueueActor.Take(3, 1, 0, false, 0));
        Assert.Equal([Item(9)], ExpectMsg<QueueActor.Taken>().Items);
    }

    [Fact]
    public void A_timed_take_on_an_empty_queue_times_out()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        q.Tell(new QueueActor.Take(1, 1, 50, false, 0));
        Assert.Equal(WaitProtocol.Outcome.TimedOut, ExpectMsg<QueueActor.Taken>(TimeSpan.FromSeconds(3)).Outcome);
    }

    [Fact]
    public void Lent_items_count_until_consumed_and_returned_ones_go_back_to_the_front_in_order()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        q.Tell(new QueueActor.Put(1, WaitProtocol.Infinite, [Item(1), Item(2), Item(3), Item(4), Item(5)]));
        ExpectMsg<WaitProtocol.Result>();
        q.Tell(new QueueActor.Take(2, 3, 0, true, 0));
        Assert.Equal([Item(1), Item(2), Item(3)], ExpectMsg<QueueActor.Taken>().Items);
        q.Tell(new QueueActor.CountQuery(3));
        Assert.Equal(5, ExpectMsg<QueueActor.CountReply>().Count);

        // Took 1; gives back 2 and 3, which must come out before 4.
        q.Tell(new QueueActor.Return(1, [Item(2), Item(3)]));
        q.Tell(new QueueActor.CountQuery(4));
        Assert.Equal(4, ExpectMsg<QueueActor.CountReply>().Count);
        q.Tell(new QueueActor.Take(5, 10, 0, false, 0));
        Assert.Equal([Item(2), Item(3), Item(4), Item(5)], ExpectMsg<QueueActor.Taken>().Items);
    }

    [Fact]
    public void Items_lent_to_a_process_that_goes_down_come_back_unless_it_reported_them_taken()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var consumer = CreateTestProbe();
        q.Tell(new QueueActor.Put(1, WaitProtocol.Infinite, [Item(1), Item(2), Item(3)]));
        ExpectMsg<WaitProtocol.Result>();
        q.Tell(new QueueActor.Take(2, 10, 0, true, 0), consumer);
        Assert.Equal(3, consumer.ExpectMsg<QueueActor.Taken>().Items.Length);
        q.Tell(new QueueActor.Consumed(1), consumer);
        q.Tell(new AioProcessing.Actors.Nodes.NodeProtocol.NodeDown(consumer.Ref.Path.Address));
        q.Tell(new QueueActor.Take(3, 10, 0, false, 0));
        Assert.Equal([Item(2), Item(3)], ExpectMsg<QueueActor.Taken>().Items);
    }

    [Fact]
    public void A_completed_queue_refuses_puts_and_ends_takers_once_empty()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var waiting = CreateTestProbe();
        q.Tell(new QueueActor.Put(1, WaitProtocol.Infinite, [Item(1)]));
        ExpectMsg<WaitProtocol.Result>();
        q.Tell(new QueueActor.Complete(2));
        ExpectMsg(new WaitProtocol.Ack(2));
        q.Tell(new QueueActor.Put(3, WaitProtocol.Infinite, [Item(2)]));
        Assert.Equal(WaitProtocol.FailureKind.ShutDown, ExpectMsg<WaitProtocol.Failed>().Kind);
        q.Tell(new QueueActor.Take(4, 1, 0, false, 0));
        Assert.Equal([Item(1)], ExpectMsg<QueueActor.Taken>().Items);
        q.Tell(new QueueActor.Take(5, 1, WaitProtocol.Infinite, false, 0), waiting);
        Assert.Equal(WaitProtocol.Outcome.Closed, waiting.ExpectMsg<QueueActor.Taken>().Outcome);
    }

    [Fact]
    public void A_completed_queue_ends_takers_only_once_no_lent_item_can_come_back()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var consumer = CreateTestProbe();
        var waiting = CreateTestProbe();
        q.Tell(new QueueActor.Put(1, WaitProtocol.Infinite, [Item(1), Item(2)]));
        ExpectMsg<WaitProtocol.Result>();
        q.Tell(new QueueActor.Take(2, 10, 0, true, 0), consumer);
        consumer.ExpectMsg<QueueActor.Taken>();
        q.Tell(new QueueActor.Complete(3));
        ExpectMsg(new WaitProtocol.Ack(3));
        q.Tell(new QueueActor.Take(4, 1, WaitProtocol.Infinite, false, 0), waiting);
        waiting.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // The consumer took one and gives the other back: the waiter gets it, and the next one learns the end.
        q.Tell(new QueueActor.Return(1, [Item(2)]), consumer);
        Assert.Equal([Item(2)], waiting.ExpectMsg<QueueActor.Taken>().Items);
        q.Tell(new QueueActor.Take(5, 1, WaitProtocol.Infinite, false, 0), waiting);
        Assert.Equal(WaitProtocol.Outcome.Closed, waiting.ExpectMsg<QueueActor.Taken>().Outcome);
    }

    [Fact]
    public void Join_waits_until_every_item_put_is_marked_done_and_over_marking_is_refused()
    {
        var q = Sys.ActorOf(QueueActor.Props(0));
        var joiner = CreateTestProbe();
        q.Tell(new QueueActor.JoinTasks(1, 0));
        ExpectMsg(new WaitProtocol.Result(1, WaitProtocol.Outcome.Granted));
        q.Tell(new QueueActor.Put(2, WaitProtocol.Infinite, [Item(1), Item(2)]));
        ExpectMsg<WaitProtocol.Result>();
        q.Tell(new QueueActor.JoinTasks(3, WaitProtocol.Infinite), joiner);
        q.Tell(new QueueActor.TaskDone(4, 1));
        ExpectMsg(new WaitProtocol.Ack(4));
        joiner.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        q.Tell(new QueueActor.TaskDone(5, 1));
        ExpectMsg(new WaitProtocol.Ack(5));
        joiner.ExpectMsg(new WaitProtocol.Result(3, WaitProtocol.Outcome.Granted));
        q.Tell(new QueueActor.TaskDone(6, 1));
        Assert.Contains("too many times", ExpectMsg<WaitProtocol.Failed>().Message, StringComparison.Ordinal);
    }
}
