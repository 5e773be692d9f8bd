using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A shared dictionary of opaque keys and values, as the dict of Python's <c>SyncManager</c>: each request is one
/// atomic step. Every entry carries a version (the mutation that wrote it), so that a facade can build compound
/// atomic operations (add-or-update, compare-exchange, increment) as compare-and-set loops.
/// </summary>
public sealed class DictActor : PrimitiveActor
{
    private readonly Dictionary<byte[], (byte[] Value, long Version)> _entries = new(ByteArrayComparer.Instance);
    private long _version;

    /// <summary>Creates an empty dictionary.</summary>
    public DictActor()
    {
        Receive<Get>(m => Sender.Tell(_entries.TryGetValue(m.Key, out var e) ? new Entry(m.RequestId, true, true, e.Value, e.Version) : new Entry(m.RequestId, true, false, [], 0)));
        Receive<Set>(OnSet);
        Receive<Remove>(OnRemove);
        Receive<Snapshot>(m => Sender.Tell(new Contents(m.RequestId, [.. _entries.Keys], [.. _entries.Values.Select(e => e.Value)])));
        Receive<Clear>(m =>
        {
            _entries.Clear();
            _version++;
            WaitProtocol.Acknowledge(Sender, m.RequestId);
        });
    }

    /// <summary>Props for a dictionary actor.</summary>
    public static Props Props() => Akka.Actor.Props.Create(static () => new DictActor());

    /// <summary>Version meaning "whatever is there": an unconditional write.</summary>
    public const long AnyVersion = -1;

    /// <summary>Version meaning "nothing is there": write only if the key is absent.</summary>
    public const long Absent = 0;

    /// <summary>Read <paramref name="Key"/>. Answered by <see cref="Entry"/>.</summary>
    public sealed record Get(long RequestId, byte[] Key) : IAioRequest;

    /// <summary>Write <paramref name="Value"/> if the entry's version is <paramref name="ExpectedVersion"/> (or any, or absent). Answered by <see cref="Entry"/>: applied, or not with what is there now.</summary>
    public sealed record Set(long RequestId, byte[] Key, byte[] Value, long ExpectedVersion) : IAioRequest;

    /// <summary>Remove <paramref name="Key"/> if its version is <paramref name="ExpectedVersion"/> (or any). Answered by <see cref="Entry"/> with what was removed.</summary>
    public sealed record Remove(long RequestId, byte[] Key, long ExpectedVersion) : IAioRequest;

    /// <summary>Every key and value now. Answered by <see cref="Contents"/>.</summary>
    public sealed record Snapshot(long RequestId) : IAioRequest;

    /// <summary>Remove everything. Answered by <see cref="WaitProtocol.Ack"/>.</summary>
    public sealed record Clear(long RequestId) : IAioRequest;

    /// <summary>An entry as it is after the request: whether the request applied, whether the key is (or was, for a remove) there, its value and version.</summary>
    public sealed record Entry(long RequestId, bool Applied, bool Found, byte[] Value, long Version) : IAioReply;

    /// <summary>The keys and values, in matching order.</summary>
    public sealed record Contents(long RequestId, byte[][] Keys, byte[][] Values) : IAioReply;

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Get>("dg", static (w, m) => { w.Long(m.RequestId); w.Bytes(m.Key); }, static r => new Get(r.Long(), r.Bytes()!))
        .Add<Set>("ds", static (w, m) => { w.Long(m.RequestId); w.Bytes(m.Key); w.Bytes(m.Value); w.Long(m.ExpectedVersion); }, static r => new Set(r.Long(), r.Bytes()!, r.Bytes()!, r.Long()))
        .Add<Remove>("dr", static (w, m) => { w.Long(m.RequestId); w.Bytes(m.Key); w.Long(m.ExpectedVersion); }, static r => new Remove(r.Long(), r.Bytes()!, r.Long()))
        .Add<Snapshot>("dn", static (w, m) => w.Long(m.RequestId), static r => new Snapshot(r.Long()))
        .Add<Clear>("dc", static (w, m) => w.Long(m.RequestId), static r => new Clear(r.Long()))
        .Add<Entry>("de", static (w, m) => { w.Long(m.RequestId); w.Bool(m.Applied); w.Bool(m.Found); w.Bytes(m.Value); w.Long(m.Version); }, static r => new Entry(r.Long(), r.Byte() != 0, r.Byte() != 0, r.Bytes()!, r.Long()))
        .Add<Contents>("dt", static (w, m) => { w.Long(m.RequestId); w.ByteArrays(m.Keys); w.ByteArrays(m.Values); }, static r => new Contents(r.Long(), r.ByteArrays(), r.ByteArrays()));

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome)
    {
    }

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
    }

    private void OnSet(Set set)
    {
        var exists = _entries.TryGetValue(set.Key, out var current);
        var matches = set.ExpectedVersion switch
        {
            AnyVersion => true,
            Absent => !exists,
            var expected => exists && current.Version == expected,
        };
        if (!matches)
        {
            Sender.Tell(new Entry(set.RequestId, false, exists, exists ? current.Value : [], exists ? current.Version : 0));
            return;
        }

        var written = (set.Value, ++_version);
        _entries[set.Key] = written;
        Sender.Tell(new Entry(set.RequestId, true, true, written.Value, written.Item2));
    }

    private void OnRemove(Remove remove)
    {
        if (!_entries.TryGetValue(remove.Key, out var current) || (remove.ExpectedVersion != AnyVersion && current.Version != remove.ExpectedVersion))
        {
            Sender.Tell(new Entry(remove.RequestId, false, _entries.ContainsKey(remove.Key), current.Value ?? [], current.Version));
            return;
        }

        _entries.Remove(remove.Key);
        _version++;
        Sender.Tell(new Entry(remove.RequestId, true, true, current.Value, current.Version));
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}

/// <summary>
/// A shared list of opaque items, as the list of Python's <c>SyncManager</c> (and, with a fixed length, its
/// <c>Array</c>): each request is one atomic step.
/// </summary>
public sealed class ListActor : PrimitiveActor
{
    private readonly List<byte[]> _items = [];

    /// <summary>Creates an empty list.</summary>
    public ListActor() => Receive<Op>(OnOp);

    /// <summary>What an <see cref="Op"/> does.</summary>
    public enum OpKind : byte
    {
        /// <summary>Append the items.</summary>
        Append = 0,

        /// <summary>Insert the one item at the index.</summary>
        Insert = 1,

        /// <summary>Read the item at the index.</summary>
        Get = 2,

        /// <summary>Replace the item at the index.</summary>
        Set = 3,

        /// <summary>Remove and return the item at the index.</summary>
        RemoveAt = 4,

        /// <summary>Read every item.</summary>
        Snapshot = 5,

        /// <summary>Remove every item.</summary>
        Clear = 6,
    }

    /// <summary>Props for a list actor.</summary>
    public static Props Props() => Akka.Actor.Props.Create(static () => new ListActor());

    /// <summary>One step on the list. Answered by <see cref="Result"/>, or <see cref="WaitProtocol.Failed"/> for an index out of range.</summary>
    public sealed record Op(long RequestId, OpKind Kind, int Index, byte[][] Items) : IAioRequest;

    /// <summary>The items the step read (or removed), and the list's length after it.</summary>
    public sealed record Result(long RequestId, byte[][] Items, int Count) : IAioReply;

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Op>("lo", static (w, m) => { w.Long(m.RequestId); w.Byte((byte)m.Kind); w.Int(m.Index); w.ByteArrays(m.Items); }, static r => new Op(r.Long(), (OpKind)r.Byte(), r.Int(), r.ByteArrays()))
        .Add<Result>("lz", static (w, m) => { w.Long(m.RequestId); w.ByteArrays(m.Items); w.Int(m.Count); }, static r => new Result(r.Long(), r.ByteArrays(), r.Int()));

    /// <inheritdoc />
    protected override void Withdraw(long requestId, WaitProtocol.Outcome outcome)
    {
    }

    /// <inheritdoc />
    protected override void OnNodeDown(Address node)
    {
    }

    private void OnOp(Op op)
    {
        var indexed = op.Kind is OpKind.Get or OpKind.Set or OpKind.RemoveAt;
        var index = op.Index < 0 ? _items.Count + op.Index : op.Index;
        if ((indexed && (index < 0 || index >= _items.Count)) || (op.Kind == OpKind.Insert && (index < 0 || index > _items.Count)))
        {
            WaitProtocol.Fail(Sender, op.RequestId, WaitProtocol.FailureKind.Invalid, $"list index {op.Index} out of range (length {_items.Count})", Context);
            return;
        }

        byte[][] read = [];
        switch (op.Kind)
        {
            case OpKind.Append:
                _items.AddRange(op.Items);
                break;
            case OpKind.Insert:
                _items.Insert(index, op.Items[0]);
                break;
            case OpKind.Get:
                read = [_items[index]];
                break;
            case OpKind.Set:
                _items[index] = op.Items[0];
                break;
            case OpKind.RemoveAt:
                read = [_items[index]];
                _items.RemoveAt(index);
                break;
            case OpKind.Snapshot:
                read = [.. _items];
                break;
            case OpKind.Clear:
                _items.Clear();
                break;
        }

        Sender.Tell(new Result(op.RequestId, read, _items.Count));
    }
}
