using AioProcessing.Actors.Diagnostics;
using AioProcessing.Actors.Nodes;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// What every primitive actor with waiters shares: the timers that enforce the waiters' deadlines; the two ways a
/// wait ends without being granted (the caller's <see cref="WaitProtocol.Cancel"/>, the deadline's
/// <see cref="WaitProtocol.Expired"/>), both routed to one <see cref="Withdraw"/>; and the death of a node
/// (<see cref="NodeProtocol.NodeDown"/>), after which what its process held is given back (<see cref="OnNodeDown"/>).
/// A process is known by its address: every request it sends comes from its reply inbox, at that address.
/// </summary>
public abstract class PrimitiveActor : ReceiveActor, IWithTimers
{
    private readonly Dictionary<Address, int> _heldBy = [];
    private readonly List<IWaiterSet> _waiterSets = [];
    private readonly List<IDisposable> _levels = [];

    /// <summary>Routes cancellations, expiries, node deaths and retirement.</summary>
    protected PrimitiveActor()
    {
        Receive<WaitProtocol.Cancel>(m => Withdraw(m.RequestId, WaitProtocol.Outcome.Cancelled));
        Receive<WaitProtocol.Expired>(m => Withdraw(m.RequestId, WaitProtocol.Outcome.TimedOut));
        Receive<NodeProtocol.NodeDown>(m => OnNodeDown(m.Node));
        Receive<WaitProtocol.Retire>(OnRetire);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The tags of this primitive's measurements: its actor's name and its coordinator's address.</summary>
    private protected System.Diagnostics.TagList MetricTags { get; private set; }

    /// <summary>The levels this primitive reports while it lives (observed instrument name and a reading of a field or two).</summary>
    private protected virtual IEnumerable<(string Instrument, Func<long> Read)> Levels => [];

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(NodeProtocol.NodeDown));
        var coordinator = Instruments.CoordinatorOf(Context.System);
        MetricTags = new System.Diagnostics.TagList { { Instruments.PrimitiveTag, Self.Path.Name }, { Instruments.CoordinatorTag, coordinator } };
        foreach (var (instrument, read) in Levels)
        {
            _levels.Add(Instruments.Register(instrument, Self.Path.Name, coordinator, read));
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        foreach (var level in _levels)
        {
            level.Dispose();
        }
    }

    /// <summary>A first-come-first-served set of waiters whose deadlines this actor's timers enforce, failed all at once on retirement.</summary>
    private protected WaitQueue<TState> NewWaitQueue<TState>()
    {
        var waiters = new WaitQueue<TState>(Self);
        _waiterSets.Add(waiters);
        return waiters;
    }

    /// <summary>Ends the wait <paramref name="requestId"/>, if it is still waiting, with <paramref name="outcome"/>.</summary>
    protected abstract void Withdraw(long requestId, WaitProtocol.Outcome outcome);

    /// <summary>The process at <paramref name="node"/> is gone: withdraw its waiters and give back what it held.</summary>
    protected abstract void OnNodeDown(Address node);

    /// <summary>Counts one more grant held by the process at <paramref name="node"/>.</summary>
    protected void NoteHeld(Address node) => _heldBy[node] = _heldBy.GetValueOrDefault(node) + 1;

    /// <summary>Counts <paramref name="count"/> grants returned, by <paramref name="node"/> first, then by any process (Python lets anyone release).</summary>
    protected void ForgetHeld(Address node, int count)
    {
        foreach (var holder in _heldBy.Keys.OrderBy(a => a == node ? 0 : 1).ToList())
        {
            var taken = Math.Min(count, _heldBy[holder]);
            _heldBy[holder] -= taken;
            if (_heldBy[holder] == 0)
            {
                _heldBy.Remove(holder);
            }

            count -= taken;
            if (count == 0)
            {
                return;
            }
        }
    }

    // The object was disposed (its manager was): every waiter and every later request is refused, saying so.
    private void OnRetire(WaitProtocol.Retire retire)
    {
        const string Message = "the object was disposed (its AioManager was disposed)";
        foreach (var waiters in _waiterSets)
        {
            waiters.FailAll(WaitProtocol.FailureKind.Disposed, Message, Self);
        }

        Become(() =>
        {
            Receive<IAioRequest>(m => WaitProtocol.Fail(Sender, m.RequestId, WaitProtocol.FailureKind.Disposed, Message, Context));
            ReceiveAny(_ => { });
        });
        WaitProtocol.Acknowledge(Sender, retire.RequestId);
    }

    /// <summary>Removes and returns the number of grants held by the process at <paramref name="node"/>.</summary>
    protected int TakeAllHeldBy(Address node) => _heldBy.Remove(node, out var held) ? held : 0;
}
