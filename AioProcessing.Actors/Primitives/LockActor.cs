using AioProcessing.Actors.Diagnostics;
using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A lock held by one process at a time, as Python's <c>multiprocessing.Lock</c>: waiters are served first come,
/// first served, and every acquire carries its own timeout (see <see cref="WaitProtocol"/>). A plain lock may be
/// released by any process; the lock under an <c>AioRLock</c> (<c>ownerOnly</c>) only by the process holding it,
/// which counts its nested holds itself and releases here after the last.
/// </summary>
public sealed class LockActor : PrimitiveActor
{
    private readonly WaitQueue<WaitProtocol.Outcome> _waiters;
    private readonly bool _ownerOnly;
    private bool _held;
    private Address? _holder;
    private long _grantedAt;
    private long _grants;

    /// <summary>Creates an unheld lock; with <paramref name="ownerOnly"/>, only its holder's process may release it.</summary>
    public LockActor(bool ownerOnly = false)
    {
        _ownerOnly = ownerOnly;
        _waiters = NewWaitQueue<WaitProtocol.Outcome>();
        Receive<Acquire>(OnAcquire);
        Receive<Release>(OnRelease);
        Receive<Query>(m => Sender.Tell(new State(m.RequestId, _held)));
    }

    /// <summary>Props for a new lock actor; with <paramref name="ownerOnly"/>, only its holder's process may release it.</summary>
    public static Props Props(bool ownerOnly = false) => Akka.Actor.Props.Create(() => new LockActor(ownerOnly));

    /// <summary>
    /// Take the lock, waiting at most <paramref name="TimeoutMs"/> (0: do not wait, -1: no limit). Answered by
    /// <see cref="WaitProtocol.Result"/>: <see cref="WaitProtocol.Outcome.Granted"/>, or <paramref name="GrantedAs"/> when a
    /// condition re-acquires the lock for a waiter whose wait timed out or was cancelled.
    /// </summary>
    public sealed record Acquire(long RequestId, long TimeoutMs, WaitProtocol.Outcome GrantedAs = WaitProtocol.Outcome.Granted) : IAioRequest;

    /// <summary>
    /// Release the lock. Answered by <see cref="WaitProtocol.Ack"/>, or <see cref="WaitProtocol.Failed"/> when it is not
    /// held; with <see cref="WaitProtocol.NoReply"/> as id, not answered (a failure is then only logged).
    /// </summary>
    public sealed record Release(long RequestId) : IAioRequest;

    /// <summary>Ask whether the lock is held now. Answered by <see cref="State"/>.</summary>
    public sealed record Query(long RequestId) : IAioRequest;

    /// <summary>Whether the lock was held when <see cref="Query"/> arrived.</summary>
    public sealed record State(long RequestId, bool Held) : IAioReply;

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome) => _waiters.Withdraw(requestId, outcome, Self);

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
        _waiters.WithdrawFrom(node);
        if (_held && _holder == node)
        {
            HandOn();
        }
    }

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Acquire>("la", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); w.Byte((byte)m.GrantedAs); }, static r => new Acquire(r.Long(), r.Long(), (WaitProtocol.Outcome)r.Byte()))
        .Add<Release>("lr", static (w, m) => w.Long(m.RequestId), static r => new Release(r.Long()))
        .Add<Query>("lq", static (w, m) => w.Long(m.RequestId), static r => new Query(r.Long()))
        .Add<State>("lQ", static (w, m) => { w.Long(m.RequestId); w.Bool(m.Held); }, static r => new State(r.Long(), r.Byte() != 0));

    private void OnAcquire(Acquire request)
    {
        if (!_held)
        {
            _held = true;
            Grant(Sender, request.RequestId, request.GrantedAs);
        }
        else if (request.TimeoutMs == 0)
        {
            Sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.TimedOut));
        }
        else
        {
            _waiters.Enqueue(request.RequestId, Sender, request.GrantedAs, request.TimeoutMs);
        }
    }

    private void OnRelease(Release request)
    {
        if (!_held)
        {
            WaitProtocol.Fail(Sender, request.RequestId, WaitProtocol.FailureKind.NotHeld, "release of an unheld lock", Context);
            return;
        }

        // Senders in this node (a condition releasing for its waiter, the coordinator's own process) are trusted:
        // the facade checks ownership per thread or flow before anything is sent.
        if (_ownerOnly && !Sender.Path.Address.HasLocalScope && Sender.Path.Address != _holder)
        {
            WaitProtocol.Fail(Sender, request.RequestId, WaitProtocol.FailureKind.NotHeld, "cannot release un-acquired lock: another process holds this RLock", Context);
            return;
        }

        HandOn();
        WaitProtocol.Acknowledge(Sender, request.RequestId);
    }

    private protected override IEnumerable<(string Instrument, Func<long> Read)> Levels => [("aio.lock.waiters", () => _waiters.Count)];

    // Hand the lock straight to the next waiter: it never becomes free in between, so no one can barge in.
    private void HandOn()
    {
        Instruments.LockHoldTime.Record(System.Diagnostics.Stopwatch.GetElapsedTime(_grantedAt).TotalMilliseconds, MetricTags);
        if (_waiters.TryDequeue(out var next))
        {
            Grant(next.ReplyTo, next.RequestId, next.State);
        }
        else
        {
            _held = false;
            _holder = null;
        }
    }

    private void Grant(IActorRef to, long requestId, WaitProtocol.Outcome grantedAs)
    {
        _holder = to.Path.Address;
        _grantedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        to.Tell(new WaitProtocol.Result(requestId, grantedAs, ++_grants));
    }
}
