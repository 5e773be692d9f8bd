using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A barrier for a fixed number of parties, as Python's <c>multiprocessing.Barrier</c>. When the last party arrives,
/// every waiter passes with its arrival index (0 for the first, parties − 1 for the last). With an action, the last
/// party is first told to run it (it is encoded, opaque here) and the others pass once it reports success. A timeout, an
/// <see cref="Abort"/>, a failed action or a waiting party's death breaks the barrier: every waiter gets
/// <see cref="Outcome.Broken"/>, and so does every wait until <see cref="Reset"/>.
/// </summary>
public sealed class BarrierActor : PrimitiveActor
{
    private readonly int _parties;
    private readonly long _defaultTimeoutMs;
    private readonly byte[]? _action;
    private readonly WaitQueue<bool> _waiters;
    private (long RequestId, IActorRef ReplyTo)? _runningAction;
    private bool _broken;

    /// <summary>Creates a barrier for <paramref name="parties"/> parties.</summary>
    public BarrierActor(int parties, long defaultTimeoutMs, byte[]? action)
    {
        _parties = parties;
        _defaultTimeoutMs = defaultTimeoutMs;
        _action = action;
        _waiters = NewWaitQueue<bool>();
        Receive<Wait>(OnWait);
        Receive<ActionDone>(OnActionDone);
        Receive<Abort>(m =>
        {
            Break();
            WaitProtocol.Acknowledge(Sender, m.RequestId);
        });
        Receive<Reset>(m =>
        {
            BreakWaiters();
            _broken = false;
            WaitProtocol.Acknowledge(Sender, m.RequestId);
        });
        Receive<Query>(m => Sender.Tell(new State(m.RequestId, _parties, _waiters.Count, _broken)));
    }

    /// <summary>How a barrier wait ended.</summary>
    public enum Outcome : byte
    {
        /// <summary>Every party arrived; the answer carries this party's arrival index.</summary>
        Passed = 0,

        /// <summary>The barrier is broken (timeout, abort, reset, failed action, dead party).</summary>
        Broken = 1,

        /// <summary>This party arrived last: run the action, then send <see cref="ActionDone"/>.</summary>
        RunAction = 2,

        /// <summary>The caller withdrew its wait; the barrier is unchanged.</summary>
        Cancelled = 3,
    }

    /// <summary>Props for a barrier.</summary>
    public static Props Props(int parties, long defaultTimeoutMs, byte[]? action) =>
        Akka.Actor.Props.Create(() => new BarrierActor(parties, defaultTimeoutMs, action));

    /// <summary>Arrive and wait, at most <paramref name="TimeoutMs"/> (-1: the barrier's default). Answered by <see cref="WaitReply"/>.</summary>
    public sealed record Wait(long RequestId, long TimeoutMs) : IAioRequest;

    /// <summary>The answer to <see cref="Wait"/>; with <see cref="Outcome.RunAction"/> it carries the encoded action.</summary>
    public sealed record WaitReply(long RequestId, Outcome Outcome, int Index, byte[]? Action) : IAioReply;

    /// <summary>The last party ran the action; <paramref name="Succeeded"/> false breaks the barrier. Answered by <see cref="WaitReply"/>.</summary>
    public sealed record ActionDone(long RequestId, bool Succeeded) : IAioRequest;

    /// <summary>Break the barrier. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Abort(long RequestId) : IAioRequest;

    /// <summary>Break the waits in progress, then make the barrier whole and empty. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Reset(long RequestId) : IAioRequest;

    /// <summary>Ask for the barrier's state. Answered by <see cref="State"/>.</summary>
    public sealed record Query(long RequestId) : IAioRequest;

    /// <summary>The number of parties, how many wait now, and whether the barrier is broken.</summary>
    public sealed record State(long RequestId, int Parties, int Waiting, bool Broken) : IAioReply;

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome)
    {
        if (!_waiters.TryRemove(requestId, out var waiter))
        {
            return;
        }

        if (outcome == WaitProtocol.Outcome.TimedOut)
        {
            // As in Python, a party that times out breaks the barrier for everyone.
            waiter.ReplyTo.Tell(new WaitReply(requestId, Outcome.Broken, -1, null));
            Break();
        }
        else
        {
            waiter.ReplyTo.Tell(new WaitReply(requestId, Outcome.Cancelled, -1, null));
        }
    }

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
        // A waiting party that died will never pass: the others cannot either.
        var lost = _runningAction?.ReplyTo.Path.Address == node;
        foreach (var waiter in _waiters.Snapshot())
        {
            lost |= waiter.ReplyTo.Path.Address == node;
        }

        if (lost)
        {
            _waiters.WithdrawFrom(node);
            if (_runningAction?.ReplyTo.Path.Address == node)
            {
                _runningAction = null;
            }

            Break();
        }
    }

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Wait>("ba", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); }, static r => new Wait(r.Long(), r.Long()))
        .Add<WaitReply>("bw", static (w, m) => { w.Long(m.RequestId); w.Byte((byte)m.Outcome); w.Int(m.Index); w.Bytes(m.Action); }, static r => new WaitReply(r.Long(), (Outcome)r.Byte(), r.Int(), r.Bytes()))
        .Add<ActionDone>("bd", static (w, m) => { w.Long(m.RequestId); w.Bool(m.Succeeded); }, static r => new ActionDone(r.Long(), r.Bool()))
        .Add<Abort>("bx", static (w, m) => w.Long(m.RequestId), static r => new Abort(r.Long()))
        .Add<Reset>("br", static (w, m) => w.Long(m.RequestId), static r => new Reset(r.Long()))
        .Add<Query>("bq", static (w, m) => w.Long(m.RequestId), static r => new Query(r.Long()))
        .Add<State>("bs", static (w, m) => { w.Long(m.RequestId); w.Int(m.Parties); w.Int(m.Waiting); w.Bool(m.Broken); }, static r => new State(r.Long(), r.Int(), r.Int(), r.Bool()));

    private void OnWait(Wait request)
    {
        if (_broken)
        {
            Sender.Tell(new WaitReply(request.RequestId, Outcome.Broken, -1, null));
            return;
        }

        // While the last party runs the action, a newcomer belongs to the next generation: it waits behind the
        // current one (a pass releases exactly the oldest parties − 1 waiters).
        if (_runningAction is not null || _waiters.Count + 1 < _parties)
        {
            var timeout = request.TimeoutMs < 0 ? _defaultTimeoutMs : request.TimeoutMs;
            _waiters.Enqueue(request.RequestId, Sender, true, timeout);
            return;
        }

        if (_action is not null)
        {
            _runningAction = (request.RequestId, Sender);
            Sender.Tell(new WaitReply(request.RequestId, Outcome.RunAction, _parties - 1, _action));
            return;
        }

        Pass(request.RequestId, Sender);
    }

    private void OnActionDone(ActionDone done)
    {
        if (_runningAction is not { } last || last.RequestId != done.RequestId)
        {
            Sender.Tell(new WaitReply(done.RequestId, Outcome.Broken, -1, null));
            return;
        }

        _runningAction = null;
        if (done.Succeeded)
        {
            Pass(last.RequestId, last.ReplyTo);
        }
        else
        {
            last.ReplyTo.Tell(new WaitReply(last.RequestId, Outcome.Broken, -1, null));
            Break();
        }
    }

    // Arrival order is the queue's order: the first to arrive gets 0, the last parties − 1.
    private void Pass(long lastRequestId, IActorRef last)
    {
        for (var index = 0; index < _parties - 1 && _waiters.TryDequeue(out var waiter); index++)
        {
            waiter.ReplyTo.Tell(new WaitReply(waiter.RequestId, Outcome.Passed, index, null));
        }

        last.Tell(new WaitReply(lastRequestId, Outcome.Passed, _parties - 1, null));
    }

    private void Break()
    {
        _broken = true;
        BreakWaiters();
    }

    private void BreakWaiters()
    {
        while (_waiters.TryDequeue(out var waiter))
        {
            waiter.ReplyTo.Tell(new WaitReply(waiter.RequestId, Outcome.Broken, -1, null));
        }

        if (_runningAction is { } last)
        {
            _runningAction = null;
            last.ReplyTo.Tell(new WaitReply(last.RequestId, Outcome.Broken, -1, null));
        }
    }
}
