using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A counting semaphore, as Python's <c>multiprocessing.Semaphore</c>, or with <c>bounded</c> its
/// <c>BoundedSemaphore</c>, whose releases may not raise the count above its initial value. Waiters are served first
/// come, first served; the permits a process holds are counted so they can be returned if it dies.
/// </summary>
public sealed class SemaphoreActor : PrimitiveActor
{
    private readonly int _initial;
    private readonly bool _bounded;
    private readonly WaitQueue<bool> _waiters;
    private int _available;
    private long _grants;

    /// <summary>Creates a semaphore with <paramref name="value"/> permits.</summary>
    public SemaphoreActor(int value, bool bounded)
    {
        _initial = value;
        _available = value;
        _bounded = bounded;
        _waiters = NewWaitQueue<bool>();
        Receive<Acquire>(OnAcquire);
        Receive<Release>(OnRelease);
        Receive<Query>(m => Sender.Tell(new State(m.RequestId, _available)));
    }

    /// <summary>Props for a semaphore with <paramref name="value"/> permits.</summary>
    public static Props Props(int value, bool bounded) => Akka.Actor.Props.Create(() => new SemaphoreActor(value, bounded));

    /// <summary>Take one permit, waiting at most <paramref name="TimeoutMs"/>. Answered by <see cref="WaitProtocol.Result"/>.</summary>
    public sealed record Acquire(long RequestId, long TimeoutMs) : IAioRequest;

    /// <summary>
    /// Return <paramref name="Count"/> permits. Answered by <see cref="WaitProtocol.Ack"/>, or, on a bounded semaphore
    /// that would exceed its initial value, <see cref="WaitProtocol.Failed"/>; not answered with <see cref="WaitProtocol.NoReply"/>.
    /// </summary>
    public sealed record Release(long RequestId, int Count) : IAioRequest;

    /// <summary>Ask for the number of free permits. Answered by <see cref="State"/>.</summary>
    public sealed record Query(long RequestId) : IAioRequest;

    /// <summary>The number of free permits.</summary>
    public sealed record State(long RequestId, int Available) : IAioReply;

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome) => _waiters.Withdraw(requestId, outcome, Self);

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
        _waiters.WithdrawFrom(node);
        var held = TakeAllHeldBy(node);
        if (held > 0)
        {
            Return(held);
        }
    }

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Acquire>("sa", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); }, static r => new Acquire(r.Long(), r.Long()))
        .Add<Release>("sr", static (w, m) => { w.Long(m.RequestId); w.Int(m.Count); }, static r => new Release(r.Long(), r.Int()))
        .Add<Query>("sq", static (w, m) => w.Long(m.RequestId), static r => new Query(r.Long()))
        .Add<State>("ss", static (w, m) => { w.Long(m.RequestId); w.Int(m.Available); }, static r => new State(r.Long(), r.Int()));

    private void OnAcquire(Acquire request)
    {
        if (_available > 0 && _waiters.Count == 0)
        {
            _available--;
            Grant(Sender, request.RequestId);
        }
        else if (request.TimeoutMs == 0)
        {
            Sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.TimedOut));
        }
        else
        {
            _waiters.Enqueue(request.RequestId, Sender, true, request.TimeoutMs);
        }
    }

    private void OnRelease(Release request)
    {
        if (request.Count < 1)
        {
            WaitProtocol.Fail(Sender, request.RequestId, WaitProtocol.FailureKind.Invalid, "a semaphore must be released at least once", Context);
            return;
        }

        if (_bounded && _available + request.Count > _initial)
        {
            WaitProtocol.Fail(Sender, request.RequestId, WaitProtocol.FailureKind.Full, "semaphore released too many times", Context);
            return;
        }

        // Python lets any process release; the releaser's own count goes down first, then anyone's.
        ForgetHeld(Sender.Path.Address, request.Count);
        Return(request.Count);
        WaitProtocol.Acknowledge(Sender, request.RequestId);
    }

    private void Return(int count)
    {
        _available += count;
        while (_available > 0 && _waiters.TryDequeue(out var next))
        {
            _available--;
            Grant(next.ReplyTo, next.RequestId);
        }
    }

    private void Grant(IActorRef to, long requestId)
    {
        NoteHeld(to.Path.Address);
        to.Tell(new WaitProtocol.Result(requestId, WaitProtocol.Outcome.Granted, ++_grants));
    }
}
