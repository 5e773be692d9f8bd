using AioProcessing.Actors.Client;
using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

/// <summary>The reply inbox: answers complete their calls, a passed deadline fails one, and an idle inbox runs no timer.</summary>
public sealed class ReplyInboxSpecs : TestKit
{
    [Fact]
    public void The_deadline_sweep_runs_only_while_a_call_waits_with_a_deadline()
    {
        using var inbox = new ReplyInbox((ExtendedActorSystem)Sys);
        Assert.False(inbox.Sweeping);

        // A call without a deadline (an infinite wait) needs no sweep.
        var endless = inbox.Expect(1, long.MaxValue, completeInline: false);
        Assert.False(inbox.Sweeping);

        // One with a deadline starts it; once answered, the sweep finds nothing to watch and stops.
        var bounded = inbox.Expect(2, Environment.TickCount64 + 60_000, completeInline: false);
        Assert.True(inbox.Sweeping);
        inbox.Tell(new WaitProtocol.Ack(2));
        Assert.True(bounded.IsCompletedSuccessfully);
        AwaitCondition(() => !inbox.Sweeping, TimeSpan.FromSeconds(10));

        // A deadline that passes still fails its call.
        var late = inbox.Expect(3, Environment.TickCount64 + 50, completeInline: false);
        Assert.IsType<NoReplyException>(Assert.Throws<AggregateException>(() => late.Wait(TimeSpan.FromSeconds(10))).InnerException);
        AwaitCondition(() => !inbox.Sweeping, TimeSpan.FromSeconds(10));
        Assert.False(endless.IsCompleted);
    }
}
