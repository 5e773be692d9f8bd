using AioProcessing.Actors.Serialization;
using Akka.Actor;
using Akka.Event;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// The protocol every blocking request follows, whatever the primitive. A request carries an id chosen by the
/// caller and a timeout the actor enforces itself (the remote side never sees an Ask's deadline). The actor answers
/// each request exactly once: granted, timed out, or cancelled. A caller whose token fires sends
/// <see cref="Cancel"/> and still waits for that one answer, so a grant that raced the cancellation is never lost:
/// the caller either gets it or the actor withdrew the waiter before granting anything.
/// </summary>
public static class WaitProtocol
{
    /// <summary>Timeout value meaning "wait without limit".</summary>
    public const long Infinite = -1;

    /// <summary>Request id meaning "no answer wanted" (a release by a process that knows it holds the lock).</summary>
    public const long NoReply = 0;

    /// <summary>How a wait ended.</summary>
    public enum Outcome : byte
    {
        /// <summary>The request took effect (lock taken, event set, item put or got).</summary>
        Granted = 0,

        /// <summary>The timeout elapsed first; with a zero timeout, the request would have blocked.</summary>
        TimedOut = 1,

        /// <summary>The caller withdrew the request before it was granted.</summary>
        Cancelled = 2,

        /// <summary>Nothing will ever be granted: the queue was completed and is empty.</summary>
        Closed = 3,
    }

    /// <summary>Why a request was refused outright.</summary>
    public enum FailureKind : byte
    {
        /// <summary>Release of a lock or permit that is not held.</summary>
        NotHeld = 1,

        /// <summary>The request's arguments were invalid.</summary>
        Invalid = 2,

        /// <summary>A bounded semaphore released more times than it was acquired.</summary>
        Full = 3,

        /// <summary>The object was disposed (retired).</summary>
        Disposed = 4,

        /// <summary>A name asked for exclusively (a listener's address) is in use.</summary>
        InUse = 5,

        /// <summary>A put to a queue that was shut down (completed).</summary>
        ShutDown = 6,
    }

    /// <summary>Withdraws the pending request <paramref name="RequestId"/>; the actor answers it with <see cref="Outcome.Cancelled"/> if it was still waiting.</summary>
    public sealed record Cancel(long RequestId) : IAioMessage;

    /// <summary>
    /// The single answer to a blocking request. A grant of a lock or a semaphore permit carries its
    /// <paramref name="FencingToken"/>: a number that grows with every grant of that primitive (from 1), so that
    /// whatever a holder writes to can refuse a holder that froze, lost its hold, and woke up with an older token.
    /// </summary>
    public sealed record Result(long RequestId, Outcome Outcome, long FencingToken = 0) : IAioReply;

    /// <summary>Acknowledges a request that cannot block (release, set, clear).</summary>
    public sealed record Ack(long RequestId) : IAioReply;

    /// <summary>A request refused outright, with a message for the caller's exception.</summary>
    public sealed record Failed(long RequestId, FailureKind Kind, string Message) : IAioReply;

    /// <summary>Retire the object: its waiters and all later requests are refused with <see cref="FailureKind.Disposed"/>. Answered by <see cref="Ack"/>.</summary>
    public sealed record Retire(long RequestId) : IAioRequest;

    /// <summary>Local timer message: the wait <paramref name="RequestId"/> reached its deadline.</summary>
    internal sealed record Expired(long RequestId);

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Cancel>("wc", static (w, m) => w.Long(m.RequestId), static r => new Cancel(r.Long()))
        .Add<Result>("wr", static (w, m) => { w.Long(m.RequestId); w.Byte((byte)m.Outcome); w.Long(m.FencingToken); }, static r => new Result(r.Long(), (Outcome)r.Byte(), r.Long()))
        .Add<Ack>("wa", static (w, m) => w.Long(m.RequestId), static r => new Ack(r.Long()))
        .Add<Retire>("wx", static (w, m) => w.Long(m.RequestId), static r => new Retire(r.Long()))
        .Add<Failed>("wf", static (w, m) => { w.Long(m.RequestId); w.Byte((byte)m.Kind); w.String(m.Message); }, static r => new Failed(r.Long(), (FailureKind)r.Byte(), r.String()!));

    /// <summary>Refuses <paramref name="requestId"/>; when the sender wanted no answer, the refusal is logged instead.</summary>
    internal static void Fail(IActorRef sender, long requestId, FailureKind kind, string message, IActorContext context)
    {
        if (requestId != NoReply)
        {
            sender.Tell(new Failed(requestId, kind, message));
        }
        else
        {
            Logging.GetLogger(context).Warning("Refused a request that wanted no answer, from {0}: {1}", sender.Path.Address, message);
        }
    }

    /// <summary>Answers <paramref name="requestId"/> with an <see cref="Ack"/> unless the sender wanted none.</summary>
    internal static void Acknowledge(IActorRef sender, long requestId)
    {
        if (requestId != NoReply)
        {
            sender.Tell(new Ack(requestId));
        }
    }
}

/// <summary>A set of waiters that can be refused all at once (when their actor retires).</summary>
internal interface IWaiterSet
{
    /// <summary>Refuses every waiter with <paramref name="kind"/> and empties the set.</summary>
    void FailAll(WaitProtocol.FailureKind kind, string message, IActorRef self);
}

/// <summary>
/// First-come-first-served waiters of one actor, each with its own deadline timer. Removal by id is O(1) so that
/// cancellation and expiry stay cheap with many waiters. Deadlines run on .NET timers, not Akka's scheduler: they
/// keep the caller's precision whatever the scheduler's tick, and cost nothing while nobody waits.
/// </summary>
/// <typeparam name="TState">What a waiter brings along (an item to put, nothing for a lock).</typeparam>
internal sealed class WaitQueue<TState> : IWaiterSet
{
    private readonly LinkedList<Waiter> _order = new();
    private readonly Dictionary<long, LinkedListNode<Waiter>> _byId = [];
    private readonly Dictionary<long, Timer> _deadlines = [];
    private readonly IActorRef _owner;

    /// <param name="owner">The actor the expiries are told to (its own <see cref="WaitProtocol.Expired"/> handling withdraws the waiter).</param>
    public WaitQueue(IActorRef owner) => _owner = owner;

    public int Count => _order.Count;

    /// <summary>Adds a waiter; a positive timeout starts its deadline timer, which delivers <see cref="WaitProtocol.Expired"/>.</summary>
    public void Enqueue(long requestId, IActorRef replyTo, TState state, long timeoutMs)
    {
        var node = _order.AddLast(new Waiter(requestId, replyTo, state));
        _byId[requestId] = node;
        if (timeoutMs > 0)
        {
            _deadlines[requestId] = new Timer(
                static state => ((Expiry)state!).Fire(),
                new Expiry(_owner, requestId),
                TimeSpan.FromMilliseconds(timeoutMs),
                Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Takes the longest-waiting waiter, if any.</summary>
    public bool TryDequeue(out Waiter waiter)
    {
        if (_order.First is not { } first)
        {
            waiter = default;
            return false;
        }

        Detach(first);
        waiter = first.Value;
        return true;
    }

    /// <summary>Removes the waiter <paramref name="requestId"/>; false when it was already served or never existed.</summary>
    public bool TryRemove(long requestId, out Waiter waiter)
    {
        if (!_byId.TryGetValue(requestId, out var node))
        {
            waiter = default;
            return false;
        }

        Detach(node);
        waiter = node.Value;
        return true;
    }

    /// <summary>Answers the waiter <paramref name="requestId"/> with <paramref name="outcome"/> if it is still waiting.</summary>
    public void Withdraw(long requestId, WaitProtocol.Outcome outcome, IActorRef self)
    {
        if (TryRemove(requestId, out var waiter))
        {
            waiter.ReplyTo.Tell(new WaitProtocol.Result(requestId, outcome), self);
        }
    }

    /// <inheritdoc />
    public void FailAll(WaitProtocol.FailureKind kind, string message, IActorRef self)
    {
        while (TryDequeue(out var waiter))
        {
            waiter.ReplyTo.Tell(new WaitProtocol.Failed(waiter.RequestId, kind, message), self);
        }
    }

    /// <summary>The waiters, longest-waiting first.</summary>
    public IReadOnlyList<Waiter> Snapshot() => [.. _order];

    /// <summary>Withdraws, unanswered, every waiter whose answer would go to the process at <paramref name="node"/> (it is gone).</summary>
    public void WithdrawFrom(Address node)
    {
        for (var current = _order.First; current is not null;)
        {
            var next = current.Next;
            if (current.Value.ReplyTo.Path.Address == node)
            {
                Detach(current);
            }

            current = next;
        }
    }

    private void Detach(LinkedListNode<Waiter> node)
    {
        _order.Remove(node);
        _byId.Remove(node.Value.RequestId);
        if (_deadlines.Remove(node.Value.RequestId, out var deadline))
        {
            deadline.Dispose();
        }
    }

    // An expiry that races the waiter's removal is harmless: Withdraw finds no waiter with that id.
    private sealed record Expiry(IActorRef Owner, long RequestId)
    {
        public void Fire() => Owner.Tell(new WaitProtocol.Expired(RequestId));
    }

    public readonly record struct Waiter(long RequestId, IActorRef ReplyTo, TState State);
}
