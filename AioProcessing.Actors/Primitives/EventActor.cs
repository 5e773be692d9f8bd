using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// An event flag, as Python's <c>multiprocessing.Event</c>: <see cref="Set"/> wakes every waiter and lets later
/// waits pass until <see cref="Clear"/>.
/// </summary>
public sealed class EventActor : ReceiveActor, IWithTimers
{
    private readonly WaitQueue<bool> _waiters;
    private bool _isSet;

    /// <summary>Creates a cleared event.</summary>
    public EventActor()
    {
        _waiters = new WaitQueue<bool>(Timers);
        Receive<Wait>(OnWait);
        Receive<Set>(_ => OnSet());
        Receive<Clear>(_ =>
        {
            _isSet = false;
            Sender.Tell(WaitProtocol.Ack.Instance);
        });
        Receive<Query>(_ => Sender.Tell(new State(_isSet)));
        Receive<WaitProtocol.Cancel>(m => _waiters.Withdraw(m.RequestId, WaitProtocol.Outcome.Cancelled, Self));
        Receive<WaitProtocol.Expired>(m => _waiters.Withdraw(m.RequestId, WaitProtocol.Outcome.TimedOut, Self));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a new event actor.</summary>
    public static Props Props() => Akka.Actor.Props.Create(static () => new EventActor());

    /// <summary>Wait until the event is set, at most <paramref name="TimeoutMs"/>. Answered by <see cref="WaitProtocol.Result"/>.</summary>
    public sealed record Wait(long RequestId, long TimeoutMs) : IAioMessage;

    /// <summary>Set the flag and wake every waiter. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Set : IAioMessage
    {
        /// <summary>The only instance.</summary>
        public static readonly Set Instance = new();
    }

    /// <summary>Clear the flag. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Clear : IAioMessage
    {
        /// <summary>The only instance.</summary>
        public static readonly Clear Instance = new();
    }

    /// <summary>Ask whether the flag is set. Answered by <see cref="State"/>.</summary>
    public sealed record Query : IAioMessage
    {
        /// <summary>The only instance.</summary>
        public static readonly Query Instance = new();
    }

    /// <summary>Whether the flag is set.</summary>
    public sealed record State(bool IsSet) : IAioMessage;

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Wait>("ew", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); }, static r => new Wait(r.Long(), r.Long()))
        .AddSingleton("es", Set.Instance)
        .AddSingleton("ec", Clear.Instance)
        .AddSingleton("eq", Query.Instance)
        .Add<State>("et", static (w, m) => w.Bool(m.IsSet), static r => new State(r.Bool()));

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

    private void OnSet()
    {
        _isSet = true;
        while (_waiters.TryDequeue(out var waiter))
        {
            waiter.ReplyTo.Tell(new WaitProtocol.Result(waiter.RequestId, WaitProtocol.Outcome.Granted));
        }

        Sender.Tell(WaitProtocol.Ack.Instance);
    }
}
