using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A condition variable over a <see cref="LockActor"/>, as Python's <c>multiprocessing.Condition</c>. The lock's own
/// requests sent here are forwarded to it, so grants go straight to the caller. A <see cref="Wait"/> releases the
/// lock for the caller and waits for a notify; whether notified, timed out or cancelled, the lock is re-acquired on
/// the caller's behalf before the answer, which the lock itself sends (<see cref="WaitProtocol.Outcome.Granted"/>
/// when notified, else the outcome). A waiter withdrawn by cancellation or timeout never consumes a notify.
/// </summary>
public sealed class ConditionActor : PrimitiveActor
{
    private readonly IActorRef _lock;
    private readonly WaitQueue<bool> _waiters;
    private readonly Dictionary<long, IActorRef> _releasing = [];

    /// <summary>Creates a condition over the lock actor <paramref name="lockActor"/>.</summary>
    public ConditionActor(IActorRef lockActor)
    {
        _lock = lockActor;
        _waiters = NewWaitQueue<bool>();
        Receive<LockActor.Acquire>(m => _lock.Forward(m));
        Receive<LockActor.Release>(m => _lock.Forward(m));
        Receive<Wait>(OnWait);
        Receive<WaitProtocol.Ack>(OnReleasedForWaiter);
        Receive<WaitProtocol.Failed>(OnReleaseRefused);
        Receive<Notify>(OnNotify);
    }

    /// <summary>Props for a condition over <paramref name="lockActor"/>.</summary>
    public static Props Props(IActorRef lockActor) => Akka.Actor.Props.Create(() => new ConditionActor(lockActor));

    /// <summary>Release the lock (which the caller holds) and wait for a notify, at most <paramref name="TimeoutMs"/>.</summary>
    public sealed record Wait(long RequestId, long TimeoutMs) : IAioRequest;

    /// <summary>Wake up to <paramref name="Count"/> waiters (<see cref="int.MaxValue"/>: all). Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Notify(long RequestId, int Count) : IAioRequest;

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome)
    {
        if (_waiters.TryRemove(requestId, out var waiter))
        {
            Reacquire(waiter.RequestId, waiter.ReplyTo, outcome);
        }
        else if (!_releasing.ContainsKey(requestId) && outcome == WaitProtocol.Outcome.Cancelled)
        {
            // Not a condition waiter: a cancelled acquire of the lock itself, forwarded with it.
            _lock.Forward(new WaitProtocol.Cancel(requestId));
        }
    }

    /// <inheritdoc />
    protected override void OnNodeDown(Address node) => _waiters.WithdrawFrom(node);

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Wait>("cw", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); }, static r => new Wait(r.Long(), r.Long()))
        .Add<Notify>("cn", static (w, m) => { w.Long(m.RequestId); w.Int(m.Count); }, static r => new Notify(r.Long(), r.Int()));

    private void OnWait(Wait request)
    {
        // The waiter is queued before the lock is released, so no notify sent after the release can miss it.
        _waiters.Enqueue(request.RequestId, Sender, true, request.TimeoutMs == 0 ? 1 : request.TimeoutMs);
        _releasing[request.RequestId] = Sender;
        _lock.Tell(new LockActor.Release(request.RequestId));
    }

    private void OnReleasedForWaiter(WaitProtocol.Ack ack) => _releasing.Remove(ack.RequestId);

    private void OnReleaseRefused(WaitProtocol.Failed failed)
    {
        // The caller did not hold the lock: as Python, refuse the wait (and take the waiter back).
        if (_releasing.Remove(failed.RequestId, out var caller) && _waiters.TryRemove(failed.RequestId, out _))
        {
            caller.Tell(new WaitProtocol.Failed(failed.RequestId, WaitProtocol.FailureKind.NotHeld, "cannot wait on an un-acquired lock"));
        }
    }

    private void OnNotify(Notify request)
    {
        for (var i = 0; i < request.Count && _waiters.TryDequeue(out var waiter); i++)
        {
            Reacquire(waiter.RequestId, waiter.ReplyTo, WaitProtocol.Outcome.Granted);
        }

        WaitProtocol.Acknowledge(Sender, request.RequestId);
    }

    // The lock answers the waiter directly once it has the lock again, so its holder is the waiter's process.
    private void Reacquire(long requestId, IActorRef waiter, WaitProtocol.Outcome outcome) =>
        _lock.Tell(new LockActor.Acquire(requestId, WaitProtocol.Infinite, outcome), waiter);
}
