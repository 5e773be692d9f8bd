using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// An event flag, as Python's <c>multiprocessing.Event</c>: <see cref="Set"/> wakes every waiter and lets later
/// waits pass until <see cref="Clear"/>.
/// </summary>
public sealed class EventActor : PrimitiveActor
{
    private readonly WaitQueue<bool> _waiters;
    private bool _isSet;

    /// <summary>Creates a cleared event.</summary>
    public EventActor()
    {
        _waiters = NewWaitQueue<bool>();
        Receive<Wait>(OnWait);
        Receive<Set>(OnSet);
        Receive<Clear>(m =>
        {
            _isSet = false;
            WaitProtocol.Acknowledge(Sender, m.RequestId);
        });
        Receive<Query>(m => Sender.Tell(new State(m.RequestId, _isSet)));
    }

    /// <summary>Props for a new event actor.</summary>
    public static Props Props() => Akka.Actor.Props.Create(static () => new EventActor());

    /// <summary>Wait until the event is set, at most <paramref name="TimeoutMs"/>. Answered by <see cref="WaitProtocol.Result"/>.</summary>
    public sealed record Wait(long RequestId, long TimeoutMs) : IAioRequest;

    /// <summary>Set the flag and wake every waiter. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Set(long RequestId) : IAioRequest;

    /// <summary>Clear the flag. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Clear(long RequestId) : IAioRequest;

    /// <summary>Ask whether the flag is set. Answered by <see cref="State"/>.</summary>
    public sealed record Query(long RequestId) : IAioRequest;

    /// <summary>Whether the flag is set.</summary>
    public sealed record State(long RequestId, bool IsSet) : IAioReply;

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome) => _waiters.Withdraw(requestId, outcome, Self);

    /// <inheritdoc />
    protected override void OnNodeDown(Address node) => _waiters.WithdrawFrom(node);

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Wait>("ew", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); }, static r => new Wait(r.Long(), r.Long()))
        .Add<Set>("es", static (w, m) => w.Long(m.RequestId), static r => new Set(r.Long()))
        .Add<Clear>("ec", static (w, m) => w.Long(m.RequestId), static r => new Clear(r.Long()))
        .Add<Query>("eq", static (w, m) => w.Long(m.RequestId), static r => new Query(r.Long()))
        .Add<State>("et", static (w, m) => { w.Long(m.RequestId); w.Bool(m.IsSet); }, static r => new State(r.Long(), r.Bool()));

    private void OnWait(Wait request)
    {
        if (_isSet || request.TimeoutMs == 0)
        {
            var outcome = _isSet ? WaitProtocol.Outcome.Granted : WaitProtocol.Outcome.TimedOut;
            Sender.Tell(new WaitProtocol.Result(request.RequestId, outcome));
        }
        else
        {
            _waiters.Enqueue(request.RequestId, Sender, true, request.TimeoutMs);
        }
    }

    private void OnSet(Set request)
    {
        _isSet = true;
        while (_waiters.TryDequeue(out var waiter))
        {
            waiter.ReplyTo.Tell(new WaitProtocol.Result(waiter.RequestId, WaitProtocol.Outcome.Granted));
        }

        WaitProtocol.Acknowledge(Sender, request.RequestId);
    }
}
