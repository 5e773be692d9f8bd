using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A FIFO queue of opaque payloads, as Python's <c>multiprocessing.Queue</c>: a positive <c>maxSize</c> bounds it
/// and makes putters wait (backpressure). Items are stored as the bytes the caller encoded; the actor never looks
/// inside them.
/// </summary>
public sealed class QueueActor : PrimitiveActor
{
    private readonly int _maxSize;
    private readonly Queue<byte[]> _items = new();
    private readonly WaitQueue<bool> _getters;
    private readonly WaitQueue<byte[]> _putters;

    /// <summary>Creates an empty queue holding at most <paramref name="maxSize"/> items (0 or less: unbounded).</summary>
    public QueueActor(int maxSize)
    {
        _maxSize = maxSize;
        _getters = new WaitQueue<bool>(Timers);
        _putters = new WaitQueue<byte[]>(Timers);
        Receive<Put>(OnPut);
        Receive<Get>(OnGet);
        Receive<CountQuery>(m => Sender.Tell(new CountReply(m.RequestId, _items.Count, _maxSize)));
    }

    /// <summary>Props for a new queue actor.</summary>
    public static Props Props(int maxSize) => Akka.Actor.Props.Create(() => new QueueActor(maxSize));

    /// <summary>Put <paramref name="Item"/>, waiting at most <paramref name="TimeoutMs"/> for room. Answered by <see cref="WaitProtocol.Result"/>.</summary>
    public sealed record Put(long RequestId, byte[] Item, long TimeoutMs) : IAioRequest;

    /// <summary>Take the oldest item, waiting at most <paramref name="TimeoutMs"/>. Answered by <see cref="GetReply"/>.</summary>
    public sealed record Get(long RequestId, long TimeoutMs) : IAioRequest;

    /// <summary>The answer to <see cref="Get"/>: the item when <paramref name="Outcome"/> is granted, else null.</summary>
    public sealed record GetReply(long RequestId, WaitProtocol.Outcome Outcome, byte[]? Item) : IAioReply;

    /// <summary>Ask for the number of items. Answered by <see cref="CountReply"/>.</summary>
    public sealed record CountQuery(long RequestId) : IAioRequest;

    /// <summary>The number of items held and the queue's bound (0: unbounded).</summary>
    public sealed record CountReply(long RequestId, int Count, int MaxSize) : IAioReply;

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Put>("qp", static (w, m) => { w.Long(m.RequestId); w.Bytes(m.Item); w.Long(m.TimeoutMs); }, static r => new Put(r.Long(), r.Bytes()!, r.Long()))
        .Add<Get>("qg", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); }, static r => new Get(r.Long(), r.Long()))
        .Add<GetReply>("qr", static (w, m) => { w.Long(m.RequestId); w.Byte((byte)m.Outcome); w.Bytes(m.Item); }, static r => new GetReply(r.Long(), (WaitProtocol.Outcome)r.Byte(), r.Bytes()))
        .Add<CountQuery>("qc", static (w, m) => w.Long(m.RequestId), static r => new CountQuery(r.Long()))
        .Add<CountReply>("qn", static (w, m) => { w.Long(m.RequestId); w.Int(m.Count); w.Int(m.MaxSize); }, static r => new CountReply(r.Long(), r.Int(), r.Int()));

    private bool HasRoom => _maxSize <= 0 || _items.Count < _maxSize;

    private void OnPut(Put request)
    {
        // Waiting putters go first: a new put may not overtake one that is already waiting for room.
        if (HasRoom && _putters.Count == 0)
        {
            Enqueue(request.Item);
            Sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.Granted));
        }
        else if (request.TimeoutMs == 0)
        {
            Sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.TimedOut));
        }
        else
        {
            _putters.Enqueue(request.RequestId, Sender, request.Item, request.TimeoutMs);
        }
    }

    private void OnGet(Get request)
    {
        if (_items.Count > 0)
        {
            Sender.Tell(new GetReply(request.RequestId, WaitProtocol.Outcome.Granted, _items.Dequeue()));
            AdmitPutters();
        }
        else if (request.TimeoutMs == 0)
        {
            Sender.Tell(new GetReply(request.RequestId, WaitProtocol.Outcome.TimedOut, null));
        }
        else
        {
            _getters.Enqueue(request.RequestId, Sender, true, request.TimeoutMs);
        }
    }

    private void Enqueue(byte[] item)
    {
        if (_getters.TryDequeue(out var getter))
        {
            getter.ReplyTo.Tell(new GetReply(getter.RequestId, WaitProtocol.Outcome.Granted, item));
        }
        else
        {
            _items.Enqueue(item);
        }
    }

    private void AdmitPutters()
    {
        while (HasRoom && _putters.TryDequeue(out var putter))
        {
            Enqueue(putter.State);
            putter.ReplyTo.Tell(new WaitProtocol.Result(putter.RequestId, WaitProtocol.Outcome.Granted));
        }
    }

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
        _getters.WithdrawFrom(node);
        _putters.WithdrawFrom(node);
    }

    /// <inheritdoc />
    // A request id is either a getter or a putter; each kind has its own answer type.
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome)
    {
        if (_getters.TryRemove(requestId, out var getter))
        {
            getter.ReplyTo.Tell(new GetReply(requestId, outcome, null));
        }
        else
        {
            _putters.Withdraw(requestId, outcome, Self);
        }
    }
}
