using AioProcessing.Actors.Diagnostics;
using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A FIFO queue of opaque payloads, as Python's <c>multiprocessing.Queue</c> / <c>JoinableQueue</c>: a positive
/// <c>maxSize</c> bounds it and makes putters wait (backpressure). Items are stored as the bytes the caller encoded;
/// the actor never looks inside them.
/// </summary>
/// <remarks>
/// <para>
/// Two ways to take. <see cref="Take"/> without prefetch hands items over for good. With prefetch (consumers in
/// other processes), the items sent are only <em>lent</em> to the consumer's process until it reports them
/// <see cref="Consumed"/>: if that process dies, or gives them back with <see cref="Return"/>, they go back to the
/// front of the queue, in order. So nothing is lost with a consumer; an item its process took but had not yet
/// reported when it died is delivered again (at least once).
/// </para>
/// <para>
/// Puts may carry many items (coalesced by the producer); a producer's items are queued in the order it sent them.
/// <see cref="Complete"/> ends the queue: puts are refused, and takers get <see cref="WaitProtocol.Outcome.Closed"/>
/// once it is empty and no lent item can come back. Every item put counts as an unfinished task until <see cref="TaskDone"/> (joinable queues).
/// </para>
/// </remarks>
public sealed class QueueActor : PrimitiveActor
{
    /// <summary>The most bytes of items one message carries; a larger item travels alone, in parts of this size.</summary>
    /// <remarks>
    /// Small on purpose: the receiving transport gathers a frame by copying what it has read so far, so the cost of
    /// a frame grows with its square; other messages (heartbeats) wait behind a frame being written; and a part
    /// below 85 000 bytes stays off the large object heap, whose collections stall both processes.
    /// </remarks>
    public const int BatchBytes = 64 * 1024;

    private readonly int _maxSize;
    private readonly LinkedList<byte[]> _items = new();
    private readonly QueueLoans _loans = new();
    private readonly WaitQueue<TakeWaiter> _takers;
    private readonly WaitQueue<byte[][]> _putters;
    private readonly WaitQueue<bool> _joiners;
    private readonly ItemParts _parts = new();
    private readonly UnfinishedTasks _tasks;
    private bool _completed;
    private bool _discarding;
    private PipeEndHolders? _pipeEnds;

    /// <summary>Creates an empty queue holding at most <paramref name="maxSize"/> items (0 or less: unbounded).</summary>
    public QueueActor(int maxSize)
    {
        _maxSize = maxSize;
        _takers = NewWaitQueue<TakeWaiter>();
        _putters = NewWaitQueue<byte[][]>();
        _joiners = NewWaitQueue<bool>();
        _tasks = new UnfinishedTasks(_joiners);
        Receive<ItemPart>(m => _parts.Add(Sender.Path.Address, m));
        Receive<Put>(OnPut);
        Receive<Take>(OnTake);
        Receive<Consumed>(m => Settle(Sender.Path.Address, m.Count));
        Receive<Return>(OnReturn);
        Receive<CountQuery>(m => Sender.Tell(new CountReply(m.RequestId, _items.Count + _loans.Count, _maxSize, _completed)));
        Receive<Complete>(OnComplete);
        Receive<TaskDone>(OnTaskDone);
        Receive<JoinTasks>(m => _tasks.Join(m, Sender));
        Receive<PipeEnd.Hold>(m => PipeEnds.Hold(m.Side, Sender.Path.Address, m.Other));
        Receive<PipeEnd.Release>(m => PipeEnds.Release(m.Side, Sender.Path.Address));
        Receive<PipeEnd.Transfer>(m => PipeEnds.Transfer(m.Side, m.Token, m.Other));
        Receive<PipeEnd.Claim>(m => PipeEnds.Claim(m.Side, m.Token, Sender.Path.Address));
        Receive<PipeEnd.Drop>(m => PipeEnds.Drop(m.Side, m.Token));
    }

    // Only a pipe's queues keep ends. The last copy of an end gone: the pipe is closed from that end (both of its
    // queues complete: the other end receives what was sent, then the end of the stream, and its sends fail).
    private PipeEndHolders PipeEnds => _pipeEnds ??= new PipeEndHolders(other =>
    {
        Self.Tell(new Complete(WaitProtocol.NoReply));
        other?.Tell(new Complete(WaitProtocol.NoReply));
    });

    /// <summary>Props for a new queue actor.</summary>
    public static Props Props(int maxSize) => Akka.Actor.Props.Create(() => new QueueActor(maxSize));

    /// <summary>
    /// Put <paramref name="Items"/>, in order, waiting at most <paramref name="TimeoutMs"/> for room for all of them.
    /// Answered by <see cref="WaitProtocol.Result"/>, or <see cref="WaitProtocol.Failed"/> once the queue is completed.
    /// </summary>
    /// <remarks>With <paramref name="Assembled"/>, the single item is the last part of one sent ahead in <see cref="ItemPart"/>s under this request id.</remarks>
    public sealed record Put(long RequestId, long TimeoutMs, byte[][] Items, bool Assembled = false) : IAioRequest;

    /// <summary>
    /// A part of an item too large for one message (see <see cref="BatchBytes"/>), sent ahead of the message that
    /// completes it under the same <paramref name="RequestId"/>: a <see cref="Put"/> to the queue, a
    /// <see cref="Taken"/> to a taker. Parts keep every frame small, so other messages (heartbeats) pass in between.
    /// </summary>
    public sealed record ItemPart(long RequestId, byte[] Bytes) : IAioMessage;

    /// <summary>
    /// Take up to <paramref name="Max"/> items (at least one), waiting at most <paramref name="TimeoutMs"/>. With
    /// <paramref name="Prefetch"/>, the items are lent to the sender's process; <paramref name="Consumed"/> first
    /// reports that many earlier lent items as taken. Answered by <see cref="Taken"/>.
    /// </summary>
    public sealed record Take(long RequestId, int Max, long TimeoutMs, bool Prefetch, int Consumed) : IAioRequest;

    /// <summary>The answer to <see cref="Take"/>: items when granted, none otherwise (<see cref="WaitProtocol.Outcome.Closed"/>: completed and empty).</summary>
    public sealed record Taken(long RequestId, WaitProtocol.Outcome Outcome, byte[][] Items) : IAioReply, Client.IAssembledReply
    {
        /// <inheritdoc />
        public IAioReply Assemble(IReadOnlyList<byte[]> parts) => this with { Items = [ItemParts.Join(parts, Items[0]), .. Items[1..]] };
    }

    /// <summary>The sender's process took <paramref name="Count"/> more of the items lent to it (oldest first). Not answered.</summary>
    public sealed record Consumed(int Count) : IAioMessage;

    /// <summary>
    /// The sender's process took <paramref name="Consumed"/> more lent items and gives back <paramref name="Items"/>,
    /// the newest it was lent and never took; they go back to the front of the queue. Not answered.
    /// </summary>
    public sealed record Return(int Consumed, byte[][] Items) : IAioMessage;

    /// <summary>Ask for the number of items. Answered by <see cref="CountReply"/>.</summary>
    public sealed record CountQuery(long RequestId) : IAioRequest;

    /// <summary>The items held (lent ones included), the bound (0: unbounded), and whether the queue is completed.</summary>
    public sealed record CountReply(long RequestId, int Count, int MaxSize, bool Completed) : IAioReply;

    /// <summary>No more puts: waiting and later puts are refused, takers get <see cref="WaitProtocol.Outcome.Closed"/> once it is empty. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    /// <remarks>
    /// With <paramref name="Immediate"/> (Python 3.13's <c>shutdown(immediate=True)</c>), the items are dropped too, and
    /// so are lent items that come back untaken; waiting takers end at once; each item dropped counts as a task done.
    /// </remarks>
    public sealed record Complete(long RequestId, bool Immediate = false) : IAioRequest;

    /// <summary>Marks <paramref name="Count"/> items' tasks done. Answered by <see cref="WaitProtocol.Ack"/>, or <see cref="WaitProtocol.Failed"/> beyond the items put.</summary>
    public sealed record TaskDone(long RequestId, int Count) : IAioRequest;

    /// <summary>Wait, at most <paramref name="TimeoutMs"/>, until every item put has been marked done. Answered by <see cref="WaitProtocol.Result"/>.</summary>
    public sealed record JoinTasks(long RequestId, long TimeoutMs) : IAioRequest;

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Put>("qp", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); w.ByteArrays(m.Items); w.Byte(m.Assembled ? (byte)1 : (byte)0); }, static r => new Put(r.Long(), r.Long(), r.ByteArrays(), r.Byte() != 0))
        .Add<ItemPart>("qi", static (w, m) => { w.Long(m.RequestId); w.Bytes(m.Bytes); }, static r => new ItemPart(r.Long(), r.Bytes()!))
        .Add<Take>("qt", static (w, m) => { w.Long(m.RequestId); w.Int(m.Max); w.Long(m.TimeoutMs); w.Byte(m.Prefetch ? (byte)1 : (byte)0); w.Int(m.Consumed); }, static r => new Take(r.Long(), r.Int(), r.Long(), r.Byte() != 0, r.Int()))
        .Add<Taken>("qk", static (w, m) => { w.Long(m.RequestId); w.Byte((byte)m.Outcome); w.ByteArrays(m.Items); }, static r => new Taken(r.Long(), (WaitProtocol.Outcome)r.Byte(), r.ByteArrays()))
        .Add<Consumed>("qd", static (w, m) => w.Int(m.Count), static r => new Consumed(r.Int()))
        .Add<Return>("qb", static (w, m) => { w.Int(m.Consumed); w.ByteArrays(m.Items); }, static r => new Return(r.Int(), r.ByteArrays()))
        .Add<CountQuery>("qc", static (w, m) => w.Long(m.RequestId), static r => new CountQuery(r.Long()))
        .Add<CountReply>("qn", static (w, m) => { w.Long(m.RequestId); w.Int(m.Count); w.Int(m.MaxSize); w.Byte(m.Completed ? (byte)1 : (byte)0); }, static r => new CountReply(r.Long(), r.Int(), r.Int(), r.Byte() != 0))
        .Add<Complete>("qx", static (w, m) => { w.Long(m.RequestId); w.Bool(m.Immediate); }, static r => new Complete(r.Long(), r.Byte() != 0))
        .Add<TaskDone>("qf", static (w, m) => { w.Long(m.RequestId); w.Int(m.Count); }, static r => new TaskDone(r.Long(), r.Int()))
        .Add<JoinTasks>("qj", static (w, m) => { w.Long(m.RequestId); w.Long(m.TimeoutMs); }, static r => new JoinTasks(r.Long(), r.Long()));

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
        _pipeEnds?.NodeDown(node);
        _takers.WithdrawFrom(node);
        _putters.WithdrawFrom(node);
        _joiners.WithdrawFrom(node);
        _parts.Forget(node);
        if (_loans.Forfeit(node) is { } lent)
        {
            // Its process is gone: whatever it had not reported taken goes back, ahead of everything queued.
            Restore(lent);
            Serve();
        }
    }

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome)
    {
        if (_takers.TryRemove(requestId, out var taker))
        {
            taker.ReplyTo.Tell(new Taken(requestId, outcome, []));
        }
        else if (_putters.TryRemove(requestId, out var putter))
        {
            putter.ReplyTo.Tell(new WaitProtocol.Result(requestId, outcome));
        }
        else
        {
            _joiners.Withdraw(requestId, outcome, Self);
        }
    }

    private bool HasRoomFor(int count) => _maxSize <= 0 || _items.Count + _loans.Count + count <= _maxSize || (_items.Count + _loans.Count == 0);

    private void OnPut(Put request)
    {
        request = _parts.Assemble(Sender.Path.Address, request);
        if (_completed)
        {
            WaitProtocol.Fail(Sender, request.RequestId, WaitProtocol.FailureKind.ShutDown, "the queue was completed (shut down): no more items may be put", Context);
            return;
        }

        // Waiting putters go first: a new put may not overtake one that is already waiting for room.
        if (_putters.Count == 0 && HasRoomFor(request.Items.Length))
        {
            Admit(request.Items);
            if (request.RequestId != WaitProtocol.NoReply)
            {
                Sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.Granted));
            }
        }
        else if (request.TimeoutMs == 0)
        {
            Sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.TimedOut));
        }
        else
        {
            _putters.Enqueue(request.RequestId, Sender, request.Items, request.TimeoutMs);
        }
    }

    private void OnTake(Take request)
    {
        if (request.Consumed > 0)
        {
            Settle(Sender.Path.Address, request.Consumed);
        }

        if (_items.Count > 0)
        {
            Hand(Sender, request.RequestId, Math.Max(1, request.Max), request.Prefetch);
        }
        else if (_completed && _loans.Count == 0)
        {
            Sender.Tell(new Taken(request.RequestId, WaitProtocol.Outcome.Closed, []));
        }
        else if (request.TimeoutMs == 0)
        {
            Sender.Tell(new Taken(request.RequestId, WaitProtocol.Outcome.TimedOut, []));
        }
        else
        {
            _takers.Enqueue(request.RequestId, Sender, new TakeWaiter(Math.Max(1, request.Max), request.Prefetch), request.TimeoutMs);
        }
    }

    private void OnReturn(Return returned)
    {
        var node = Sender.Path.Address;
        Settle(node, returned.Consumed);
        if (returned.Items.Length == 0)
        {
            return;
        }

        Restore(_loans.TakeBackNewest(node, returned.Items.Length));
        Serve();
    }

    private void OnComplete(Complete request)
    {
        _completed = true;
        while (_putters.TryDequeue(out var putter))
        {
            putter.ReplyTo.Tell(new WaitProtocol.Failed(putter.RequestId, WaitProtocol.FailureKind.ShutDown, "the queue was completed (shut down) while this put waited for room"));
        }

        if (request.Immediate)
        {
            _discarding = true;
            _tasks.Discard(_items.Count);
            _items.Clear();
        }

        Serve();
        WaitProtocol.Acknowledge(Sender, request.RequestId);
    }

    private void OnTaskDone(TaskDone request)
    {
        if (_tasks.TryMarkDone(request.Count))
        {
            WaitProtocol.Acknowledge(Sender, request.RequestId);
        }
        else
        {
            WaitProtocol.Fail(Sender, request.RequestId, WaitProtocol.FailureKind.Invalid, "task_done() called too many times: more tasks marked done than items put", Context);
        }
    }

    private protected override IEnumerable<(string Instrument, Func<long> Read)> Levels => [("aio.queue.depth", () => _items.Count + _loans.Count)];

    private void Admit(byte[][] items)
    {
        Instruments.QueuePuts.Add(items.Length, MetricTags);
        _tasks.Add(items.Length);
        foreach (var item in items)
        {
            _items.AddLast(item);
        }

        Serve();
    }

    // Hands queued items to waiting takers, longest-waiting first, then lets waiting putters in.
    private void Serve()
    {
        while (_items.Count > 0 && _takers.TryDequeue(out var taker))
        {
            Hand(taker.ReplyTo, taker.RequestId, taker.State.Max, taker.State.Prefetch);
        }

        while (_putters.Count > 0 && HasRoomFor(_putters.Snapshot()[0].State.Length) && _putters.TryDequeue(out var putter))
        {
            Admit(putter.State);
            putter.ReplyTo.Tell(new WaitProtocol.Result(putter.RequestId, WaitProtocol.Outcome.Granted));
        }

        // Completed and drained: nothing can come any more once nothing is lent (lent items may come back), or at
        // once when the queue was shut down immediately (what comes back is dropped).
        if (_completed && _items.Count == 0 && (_loans.Count == 0 || _discarding))
        {
            while (_takers.TryDequeue(out var taker))
            {
                taker.ReplyTo.Tell(new Taken(taker.RequestId, WaitProtocol.Outcome.Closed, []));
            }
        }
    }

    private void Hand(IActorRef to, long requestId, int max, bool prefetch)
    {
        var taking = new List<byte[]>(Math.Min(max, _items.Count));
        long bytes = 0;
        while (taking.Count < max && _items.First is { } first && (taking.Count == 0 || bytes + first.Value.Length <= BatchBytes))
        {
            bytes += first.Value.Length;
            taking.Add(first.Value);
            _items.RemoveFirst();
        }

        var items = taking.ToArray();
        var count = items.Length;
        if (!prefetch)
        {
            Instruments.QueueGets.Add(count, MetricTags);
        }

        if (prefetch)
        {
            _loans.Lend(to.Path.Address, items);
        }

        if (count == 1 && items[0].Length > BatchBytes && !to.Path.Address.HasLocalScope)
        {
            // Too large for one frame: the parts go ahead, the reply carries the last one.
            var parts = Split(items[0]);
            for (var i = 0; i < parts.Length - 1; i++)
            {
                to.Tell(new ItemPart(requestId, parts[i]));
            }

            items = [parts[^1]];
        }

        to.Tell(new Taken(requestId, WaitProtocol.Outcome.Granted, items));
        if (_putters.Count > 0)
        {
            Serve();
        }
    }

    // The process at node took count of the items lent to it, oldest first: they are gone for good.
    private void Settle(Address node, int count)
    {
        var settled = _loans.Settle(node, count);
        if (settled == 0)
        {
            return;
        }

        Instruments.QueueGets.Add(settled, MetricTags);
        if (_putters.Count > 0 || _completed)
        {
            Serve();
        }
    }

    // Lent items that come back go to the front, in order; after an immediate shutdown they are dropped instead.
    private void Restore(LinkedList<byte[]> items)
    {
        if (_discarding)
        {
            _tasks.Discard(items.Count);
        }
        else
        {
            PushFront(items);
        }
    }

    private void PushFront(LinkedList<byte[]> items)
    {
        for (var node = items.Last; node is not null; node = node.Previous)
        {
            _items.AddFirst(node.Value);
        }
    }

    /// <summary>Cuts <paramref name="item"/> into parts of at most <see cref="BatchBytes"/>.</summary>
    public static byte[][] Split(byte[] item) => ItemParts.Split(item);

    private readonly record struct TakeWaiter(int Max, bool Prefetch);
}
