using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// What every primitive actor with waiters shares: the timers that enforce the waiters' deadlines, and the two ways a
/// wait ends without being granted (the caller's <see cref="WaitProtocol.Cancel"/>, the deadline's
/// <see cref="WaitProtocol.Expired"/>), both routed to one <see cref="Withdraw"/>.
/// </summary>
public abstract class PrimitiveActor : ReceiveActor, IWithTimers
{
    /// <summary>Routes cancellations and expiries to <see cref="Withdraw"/>.</summary>
    protected PrimitiveActor()
    {
        Receive<WaitProtocol.Cancel>(m => Withdraw(m.RequestId, WaitProtocol.Outcome.Cancelled));
        Receive<WaitProtocol.Expired>(m => Withdraw(m.RequestId, WaitProtocol.Outcome.TimedOut));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Ends the wait <paramref name="requestId"/>, if it is still waiting, with <paramref name="outcome"/>.</summary>
    protected abstract void Withdraw(long requestId, WaitProtocol.Outcome outcome);
}
