using AioProcessing.Actors.Client;
using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

/// <summary>The reply inbox: answers complete their calls, a passed deadline fails one, and the deadline timer is set for the earliest deadline, never at an interval.</summary>
public sealed class ReplyInboxSpecs : TestKit
{
    [Fact]
    public void The_deadline_timer_is_set_for_the_earliest_deadline_and_only_while_a_call_waits_with_one()
    {
        using var inbox = new ReplyInbox((ExtendedActorSystem)Sys);
        Assert.False(inbox.Sweeping);

        // A call without a deadline (an infinite wait) needs no timer.
        var endless = inbox.Expect(1, long.MaxValue, completeInline: false);
        Assert.False(inbox.Sweeping);

        // One with a deadline sets it for that deadline, not for an interval; a later deadline leaves it as it is.
        var distant = Environment.TickCount64 + 120_000;
        var bounded = inbox.Expect(2, distant, completeInline: false);
        Assert.Equal(distant, inbox.ArmedFor);
        var later = inbox.Expect(3, distant + 60_000, completeInline: false);
        Assert.Equal(distant, inbox.ArmedFor);

        // An earlier one brings it forward; when it passes, its call fails and the timer moves to the next deadline.
        var soon = inbox.Expect(4, Environment.TickCount64 + 50, completeInline: false);
        Assert.IsType<NoReplyException>(Assert.Throws<AggregateException>(() => soon.Wait(TimeSpan.FromSeconds(10))).InnerException);
        AwaitCondition(() => inbox.ArmedFor == distant, TimeSpan.FromSeconds(10));
        Assert.False(bounded.IsCompleted);

        // Answered calls leave nothing to watch: the next time the timer fires, it stays off.
        inbox.Tell(new WaitProtocol.Ack(2));
        inbox.Tell(new WaitProtocol.Ack(3));
        Assert.True(bounded.IsCompletedSuccessfully);
        Assert.True(later.IsCompletedSuccessfully);
        var last = inbox.Expect(5, Environment.TickCount64 + 50, completeInline: false);
        Assert.IsType<NoReplyException>(Assert.Throws<AggregateException>(() => last.Wait(TimeSpan.FromSeconds(10))).InnerException);
        AwaitCondition(() => !inbox.Sweeping, TimeSpan.FromSeconds(10));
        Assert.False(endless.IsCompleted);
    }
}
