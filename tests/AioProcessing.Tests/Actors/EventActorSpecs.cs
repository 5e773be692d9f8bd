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
