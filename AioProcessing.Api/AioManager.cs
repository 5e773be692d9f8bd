using System.Collections.Concurrent;
using System.Dynamic;
using System.Numerics;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// Scopes a set of shared objects, as Python's <c>SyncManager</c>: containers (<see cref="Dict{TKey, TValue}"/>,
/// <see cref="List{T}"/>, <see cref="Namespace"/>, <see cref="Value{T}"/>, <see cref="Array{T}"/>) and every
/// primitive, each an actor in the coordinator, usable from any process it is passed to. Each single operation is
/// atomic at the coordinator. Disposing the manager disposes the objects it created: any use afterwards, in any
/// process, throws <see cref="ObjectDisposedException"/>, and waits in progress end with it. A named container
/// that another manager created is found, not owned.
/// </summary>
public sealed class AioManager : IDisposable, IAsyncDisposable
{
    private readonly ConcurrentBag<IActorRef> _objects = [];
    private int _disposed;

    /// <summary>Creates a manager in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    public AioManager(AioContext? context = null) => Context = context ?? AioContext.Default;

    /// <summary>The context the manager's objects live in.</summary>
    public AioContext Context { get; }

    /// <summary>A new shared dictionary (found by <paramref name="name"/> if given).</summary>
    public AioDict<TKey, TValue> Dict<TKey, TValue>(string? name = null)
        where TKey : notnull => new(Context, Track(PrimitiveHost.Kind.Dict, name, TypeShape.Of(typeof(AioDict<TKey, TValue>))));

    /// <summary>A new shared list holding <paramref name="items"/> (found by <paramref name="name"/> if given).</summary>
    public AioList<T> List<T>(IEnumerable<T>? items = null, string? name = null)
    {
        var list = new AioList<T>(Context, Track(PrimitiveHost.Kind.List, name, TypeShape.Of(typeof(AioList<T>))));
        if (items is not null)
        {
            list.AddRange(items);
        }

        return list;
    }

    /// <summary>A new shared attribute bag (Python's <c>Namespace</c>): <c>ns.Count = 3</c> with <c>dynamic</c>, or <see cref="AioNamespace.Set{T}"/>.</summary>
    public AioNamespace Namespace(string? name = null) => new(Context, Track(PrimitiveHost.Kind.Dict, name));

    /// <summary>A new shared value starting at <paramref name="initial"/> (Python's <c>Value</c>).</summary>
    public AioValue<T> Value<T>(T initial, string? name = null)
    {
        var value = new AioValue<T>(Context, Track(PrimitiveHost.Kind.Dict, name, TypeShape.Of(typeof(AioValue<T>))));
        if (name is null)
        {
            value.Value = initial;
        }
        else
        {
            value.SetIfAbsent(initial);
        }

        return value;
    }

    /// <summary>A new shared fixed-length array holding <paramref name="items"/> (Python's <c>Array</c>).</summary>
    public AioArray<T> Array<T>(params T[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new AioArray<T>(Context, Track(PrimitiveHost.Kind.List, null), items);
    }

    /// <summary>A new lock owned by this manager.</summary>
    public AioLock Lock() => Own(new AioLock(Context));

    /// <summary>A new reentrant lock owned by this manager.</summary>
    public AioRLock RLock() => Own(new AioRLock(Context));

    /// <summary>A new semaphore owned by this manager.</summary>
    public AioSemaphore Semaphore(int value = 1) => Own(new AioSemaphore(value, Context));

    /// <summary>A new bounded semaphore owned by this manager.</summary>
    public AioBoundedSemaphore BoundedSemaphore(int value = 1) => Own(new AioBoundedSemaphore(value, Context));

    /// <summary>A new event owned by this manager.</summary>
    public AioEvent Event() => Own(new AioEvent(Context));

    /// <summary>A new condition owned by this manager, over <paramref name="lck"/> or a new lock.</summary>
    public AioCondition Condition(AioLock? lck = null) => Own(new AioCondition(lck ?? Lock(), Context));

    /// <summary>A new barrier owned by this manager.</summary>
    public AioBarrier Barrier(int parties, Delegate? action = null, TimeSpan? timeout = null) => Own(new AioBarrier(parties, action, timeout, Context));

    /// <summary>A new queue owned by this manager.</summary>
    public AioQueue<T> Queue<T>(int maxsize = 0) => Own(new AioQueue<T>(maxsize, Context));

    /// <summary>A new joinable queue owned by this manager.</summary>
    public AioJoinableQueue<T> JoinableQueue<T>(int maxsize = 0) => Own(new AioJoinableQueue<T>(maxsize, Context));

    /// <summary>Disposes every object of this manager (Python's <c>shutdown</c>).</summary>
    public void Dispose() => Blocking.Wait(() => DisposeAsync().AsTask());

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || Context.IsDisposedOrLost)
        {
            return;
        }

        await Task.WhenAll(_objects.Select(RetireAsync)).ConfigureAwait(false);
    }

    private async Task RetireAsync(IActorRef actor)
    {
        try
        {
            await Context.Link.AskAsync<WaitProtocol.Ack>(actor, new WaitProtocol.Retire(CoordinatorLink.NextId()), CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Already retired: disposal is idempotent.
        }
    }

    private T Own<T>(T primitive)
        where T : AioPrimitive
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _objects.Add(primitive.Actor);
        return primitive;
    }

    private IActorRef Track(PrimitiveHost.Kind kind, string? name, string? shape = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // A named object found rather than created belongs to whoever created it: it is not disposed with this manager.
        var created = Blocking.Wait(() => Context.CreateOrFindAsync(kind, name: name, shape: shape));
        if (created.IsNew)
        {
            _objects.Add(created.Actor);
        }

        return created.Actor;
    }
}

/// <summary>
/// A dictionary shared by every process of a coordinator (a manager's <c>dict</c>). Each member is one atomic step
/// at the coordinator; <see cref="AddOrUpdate"/>, <see cref="GetOrAdd"/> and <see cref="TryUpdate"/> are atomic too
/// (compare-and-set on the entry's version, retried on conflict). Keys are compared by their encoding.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class AioDict<TKey, TValue> : AioPrimitive, IAioFacade<AioDict<TKey, TValue>>
    where TKey : notnull
{
    internal AioDict(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>The number of entries now.</summary>
    public int Count => Blocking.Wait(() => CountAsync());

    /// <summary>Reads or writes the value of <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">Reading a key that is not there.</exception>
    public TValue this[TKey key]
    {
        get => Blocking.Wait(() => GetAsync(key));
        set => Blocking.Wait(() => SetAsync(key, value));
    }

    /// <summary>The number of entries now.</summary>
    public async Task<int> CountAsync(CancellationToken ct = default) => (await SnapshotAsync(ct).ConfigureAwait(false)).Count;

    /// <inheritdoc cref="this[TKey]"/>
    public async Task<TValue> GetAsync(TKey key, CancellationToken ct = default)
    {
        var entry = await EntryAsync(key, ct).ConfigureAwait(false);
        return entry.Found ? Decode(entry.Value) : throw new KeyNotFoundException($"The key '{key}' is not in the dictionary.");
    }

    /// <summary>Writes <paramref name="value"/> under <paramref name="key"/>.</summary>
    public async Task SetAsync(TKey key, TValue value, CancellationToken ct = default) =>
        await WriteAsync(key, value, DictActor.AnyVersion, ct).ConfigureAwait(false);

    /// <summary>Reads <paramref name="key"/>; false when it is not there.</summary>
    public bool TryGetValue(TKey key, out TValue value)
    {
        var entry = Blocking.Wait(() => EntryAsync(key, CancellationToken.None));
        value = entry.Found ? Decode(entry.Value) : default!;
        return entry.Found;
    }

    /// <summary>Whether <paramref name="key"/> is there now.</summary>
    public bool ContainsKey(TKey key) => Blocking.Wait(() => EntryAsync(key, CancellationToken.None)).Found;

    /// <summary>Removes <paramref name="key"/>; false when it was not there.</summary>
    public bool Remove(TKey key) => Blocking.Wait(() => RemoveAsync(key));

    /// <inheritdoc cref="Remove"/>
    public async Task<bool> RemoveAsync(TKey key, CancellationToken ct = default) =>
        (await Context.Link.AskAsync<DictActor.Entry>(Actor, new DictActor.Remove(CoordinatorLink.NextId(), EncodeKey(key), DictActor.AnyVersion), ct).ConfigureAwait(false)).Applied;

    /// <summary>Removes every entry.</summary>
    public void Clear() => Blocking.Wait(() => Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new DictActor.Clear(CoordinatorLink.NextId()), CancellationToken.None));

    /// <summary>The entries now, as a local copy.</summary>
    public IReadOnlyDictionary<TKey, TValue> Snapshot() => Blocking.Wait(() => SnapshotAsync());

    /// <inheritdoc cref="Snapshot"/>
    public async Task<IReadOnlyDictionary<TKey, TValue>> SnapshotAsync(CancellationToken ct = default)
    {
        var contents = await Context.Link.AskAsync<DictActor.Contents>(Actor, new DictActor.Snapshot(CoordinatorLink.NextId()), ct).ConfigureAwait(false);
        var copy = new Dictionary<TKey, TValue>(contents.Keys.Length);
        for (var i = 0; i < contents.Keys.Length; i++)
        {
            copy[Context.Payloads.Deserialize<TKey>(contents.Keys[i])] = Decode(contents.Values[i]);
        }

        return copy;
    }

    /// <summary>Adds <paramref name="addValue"/>, or replaces the value with <paramref name="update"/>(key, old), atomically; returns the value written.</summary>
    /// <remarks><paramref name="update"/> runs in this process and may run more than once under contention; it must not have side effects.</remarks>
    public TValue AddOrUpdate(TKey key, TValue addValue, Func<TKey, TValue, TValue> update) => Blocking.Wait(() => AddOrUpdateAsync(key, addValue, update));

    /// <inheritdoc cref="AddOrUpdate"/>
    public async Task<TValue> AddOrUpdateAsync(TKey key, TValue addValue, Func<TKey, TValue, TValue> update, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var entry = await EntryAsync(key, ct).ConfigureAwait(false);
        while (true)
        {
            var next = entry.Found ? update(key, Decode(entry.Value)) : addValue;
            var written = await WriteAsync(key, next, entry.Found ? entry.Version : DictActor.Absent, ct).ConfigureAwait(false);
            if (written.Applied)
            {
                return next;
            }

            entry = written;
        }
    }

    /// <summary>Returns the value of <paramref name="key"/>, adding <paramref name="value"/> first if it is not there, atomically.</summary>
    public TValue GetOrAdd(TKey key, TValue value) => Blocking.Wait(() => GetOrAddAsync(key, value));

    /// <inheritdoc cref="GetOrAdd"/>
    public async Task<TValue> GetOrAddAsync(TKey key, TValue value, CancellationToken ct = default)
    {
        var written = await WriteAsync(key, value, DictActor.Absent, ct).ConfigureAwait(false);
        return written.Applied ? value : Decode(written.Value);
    }

    /// <summary>Replaces the value of <paramref name="key"/> with <paramref name="newValue"/> only if it equals <paramref name="comparisonValue"/>, atomically.</summary>
    public bool TryUpdate(TKey key, TValue newValue, TValue comparisonValue) => Blocking.Wait(() => TryUpdateAsync(key, newValue, comparisonValue));

    /// <inheritdoc cref="TryUpdate"/>
    public async Task<bool> TryUpdateAsync(TKey key, TValue newValue, TValue comparisonValue, CancellationToken ct = default)
    {
        var entry = await EntryAsync(key, ct).ConfigureAwait(false);
        while (entry.Found && EqualityComparer<TValue>.Default.Equals(Decode(entry.Value), comparisonValue))
        {
            var written = await WriteAsync(key, newValue, entry.Version, ct).ConfigureAwait(false);
            if (written.Applied)
            {
                return true;
            }

            entry = written;
        }

        return false;
    }

    static AioDict<TKey, TValue> IAioFacade<AioDict<TKey, TValue>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    internal Task<DictActor.Entry> EntryAsync(TKey key, CancellationToken ct) =>
        Context.Link.AskAsync<DictActor.Entry>(Actor, new DictActor.Get(CoordinatorLink.NextId(), EncodeKey(key)), ct);

    internal Task<DictActor.Entry> WriteAsync(TKey key, TValue value, long expectedVersion, CancellationToken ct) =>
        Context.Link.AskAsync<DictActor.Entry>(Actor, new DictActor.Set(CoordinatorLink.NextId(), EncodeKey(key), Context.Payloads.Serialize(value, "The value", nameof(value)), expectedVersion), ct);

    internal TValue Decode(byte[] bytes) => Context.Payloads.Deserialize<TValue>(bytes);

    private byte[] EncodeKey(TKey key) => Context.Payloads.Serialize(key, "The key", nameof(key));
}

/// <summary>A list shared by every process of a coordinator (a manager's <c>list</c>); each member is one atomic step at the coordinator.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class AioList<T> : AioPrimitive, IAioFacade<AioList<T>>
{
    internal AioList(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>The number of items now.</summary>
    public int Count => Blocking.Wait(() => CountAsync());

    /// <summary>Reads or replaces the item at <paramref name="index"/> (negative counts from the end, as in Python).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public T this[int index]
    {
        get => Context.Payloads.Deserialize<T>(Blocking.Wait(() => OpAsync(ListActor.OpKind.Get, index, [], CancellationToken.None)).Items[0]);
        set => Blocking.Wait(() => OpAsync(ListActor.OpKind.Set, index, [Encode(value)], CancellationToken.None));
    }

    /// <summary>The number of items now.</summary>
    public async Task<int> CountAsync(CancellationToken ct = default) => (await OpAsync(ListActor.OpKind.Snapshot, 0, [], ct).ConfigureAwait(false)).Count;

    /// <summary>Appends <paramref name="item"/> (Python's <c>append</c>).</summary>
    public void Add(T item) => Blocking.Wait(() => AddAsync(item));

    /// <inheritdoc cref="Add"/>
    public Task AddAsync(T item, CancellationToken ct = default) => OpAsync(ListActor.OpKind.Append, 0, [Encode(item)], ct);

    /// <summary>Appends every item, in order, in one atomic step (Python's <c>extend</c>).</summary>
    public void AddRange(IEnumerable<T> items) => Blocking.Wait(() => OpAsync(ListActor.OpKind.Append, 0, [.. items.Select(Encode)], CancellationToken.None));

    /// <summary>Inserts <paramref name="item"/> at <paramref name="index"/>.</summary>
    public void Insert(int index, T item) => Blocking.Wait(() => OpAsync(ListActor.OpKind.Insert, index, [Encode(item)], CancellationToken.None));

    /// <summary>Removes and returns the item at <paramref name="index"/> (Python's <c>pop</c>; -1 is the last).</summary>
    public T Pop(int index = -1) => Context.Payloads.Deserialize<T>(Blocking.Wait(() => OpAsync(ListActor.OpKind.RemoveAt, index, [], CancellationToken.None)).Items[0]);

    /// <summary>Removes every item.</summary>
    public void Clear() => Blocking.Wait(() => OpAsync(ListActor.OpKind.Clear, 0, [], CancellationToken.None));

    /// <summary>The items now, as a local copy.</summary>
    public IReadOnlyList<T> Snapshot() => Blocking.Wait(() => SnapshotAsync());

    /// <inheritdoc cref="Snapshot"/>
    public async Task<IReadOnlyList<T>> SnapshotAsync(CancellationToken ct = default) =>
        [.. (await OpAsync(ListActor.OpKind.Snapshot, 0, [], ct).ConfigureAwait(false)).Items.Select(Context.Payloads.Deserialize<T>)];

    static AioList<T> IAioFacade<AioList<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private byte[] Encode(T item) => Context.Payloads.Serialize(item, "The item", nameof(item));

    private async Task<ListActor.Result> OpAsync(ListActor.OpKind kind, int index, byte[][] items, CancellationToken ct)
    {
        try
        {
            return await Context.Link.AskAsync<ListActor.Result>(Actor, new ListActor.Op(CoordinatorLink.NextId(), kind, index, items), ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, ex.Message);
        }
    }
}

/// <summary>A fixed-length array shared by every process of a coordinator (a manager's <c>Array</c>).</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class AioArray<T> : AioPrimitive, IAioFacade<AioArray<T>>
{
    private readonly AioList<T> _items;

    internal AioArray(AioContext context, IActorRef actor, T[] initial)
        : this(context, actor)
    {
        _items.AddRange(initial);
        Length = initial.Length;
    }

    private AioArray(AioContext context, IActorRef actor)
        : base(context, actor)
    {
        _items = new AioList<T>(context, actor);
        Length = -1;
    }

    /// <summary>The number of elements (fixed).</summary>
    public int Length
    {
        get => field >= 0 ? field : field = _items.Count;
        private set;
    }

    /// <summary>Reads or writes the element at <paramref name="index"/>, atomically.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public T this[int index]
    {
        get => _items[index];
        set => _items[index] = value;
    }

    /// <summary>The elements now, as a local copy.</summary>
    public T[] ToArray() => [.. _items.Snapshot()];

    static AioArray<T> IAioFacade<AioArray<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}

/// <summary>
/// A value shared by every process of a coordinator (a manager's <c>Value</c>). Reads and writes are atomic, and so
/// are <see cref="CompareExchange"/>, <see cref="Update"/> and, for numbers, <see cref="AioValueExtensions.Increment{T}"/>.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class AioValue<T> : AioPrimitive, IAioFacade<AioValue<T>>
{
    private static readonly byte[] TheKey = [0];

    internal AioValue(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>Reads or writes the value.</summary>
    public T Value
    {
        get => Blocking.Wait(() => GetAsync());
        set => Blocking.Wait(() => SetAsync(value));
    }

    /// <summary>Reads the value.</summary>
    public async Task<T> GetAsync(CancellationToken ct = default) => Decode((await ReadAsync(ct).ConfigureAwait(false)).Value);

    /// <summary>Writes the value.</summary>
    public async Task SetAsync(T value, CancellationToken ct = default) => await WriteAsync(value, DictActor.AnyVersion, ct).ConfigureAwait(false);

    /// <summary>Writes <paramref name="value"/> if it equals <paramref name="comparand"/>; returns the value before, as <see cref="Interlocked.CompareExchange{T}(ref T, T, T)"/>.</summary>
    public T CompareExchange(T value, T comparand) => Blocking.Wait(() => CompareExchangeAsync(value, comparand));

    /// <inheritdoc cref="CompareExchange"/>
    public async Task<T> CompareExchangeAsync(T value, T comparand, CancellationToken ct = default)
    {
        var entry = await ReadAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var current = Decode(entry.Value);
            if (!EqualityComparer<T>.Default.Equals(current, comparand))
            {
                return current;
            }

            var written = await WriteAsync(value, entry.Version, ct).ConfigureAwait(false);
            if (written.Applied)
            {
                return current;
            }

            entry = written;
        }
    }

    /// <summary>Replaces the value with <paramref name="update"/>(value) atomically and returns the new value; <paramref name="update"/> may run more than once.</summary>
    public T Update(Func<T, T> update) => Blocking.Wait(() => UpdateAsync(update));

    /// <inheritdoc cref="Update"/>
    public async Task<T> UpdateAsync(Func<T, T> update, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var entry = await ReadAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var next = update(Decode(entry.Value));
            var written = await WriteAsync(next, entry.Version, ct).ConfigureAwait(false);
            if (written.Applied)
            {
                return next;
            }

            entry = written;
        }
    }

    static AioValue<T> IAioFacade<AioValue<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    internal void SetIfAbsent(T value) => Blocking.Wait(() => WriteAsync(value, DictActor.Absent, CancellationToken.None));

    private Task<DictActor.Entry> ReadAsync(CancellationToken ct) =>
        Context.Link.AskAsync<DictActor.Entry>(Actor, new DictActor.Get(CoordinatorLink.NextId(), TheKey), ct);

    private Task<DictActor.Entry> WriteAsync(T value, long expectedVersion, CancellationToken ct) =>
        Context.Link.AskAsync<DictActor.Entry>(Actor, new DictActor.Set(CoordinatorLink.NextId(), TheKey, Context.Payloads.Serialize(value, "The value", nameof(value)), expectedVersion), ct);

    private T Decode(byte[] bytes) => Context.Payloads.Deserialize<T>(bytes);
}

/// <summary>Atomic arithmetic on shared numbers.</summary>
public static class AioValueExtensions
{
    /// <summary>Adds <paramref name="delta"/> atomically and returns the new value.</summary>
    public static T Increment<T>(this AioValue<T> value, T delta)
        where T : INumber<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Update(v => v + delta);
    }

    /// <inheritdoc cref="Increment{T}"/>
    public static Task<T> IncrementAsync<T>(this AioValue<T> value, T delta, CancellationToken ct = default)
        where T : INumber<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.UpdateAsync(v => v + delta, ct);
    }
}

/// <summary>
/// An attribute bag shared by every process of a coordinator (a manager's <c>Namespace</c>): use it as
/// <c>dynamic</c> (<c>ns.Total = 3; int t = ns.Total;</c>) or through <see cref="Get{T}"/> and <see cref="Set{T}"/>.
/// Values travel as the runtime type they were set as; numbers may come back in a smaller integer type (use
/// <see cref="Get{T}"/>, which converts, or let <c>dynamic</c> widen them).
/// </summary>
public sealed class AioNamespace : DynamicObject, IAioFacade<AioNamespace>
{
    private readonly AioDict<string, object?> _attributes;

    internal AioNamespace(AioContext context, IActorRef actor) => _attributes = new AioDict<string, object?>(context, actor);

    AioContext IAioFacade.Context => ((IAioFacade)_attributes).Context;

    IActorRef IAioFacade.Actor => ((IAioFacade)_attributes).Actor;

    /// <summary>Reads the attribute <paramref name="name"/> as <typeparamref name="T"/> (numbers convert, as small ones travel compactly).</summary>
    /// <exception cref="KeyNotFoundException">It was never set.</exception>
    public T Get<T>(string name) => _attributes[name] switch
    {
        T typed => typed,
        IConvertible convertible => (T)Convert.ChangeType(convertible, typeof(T), System.Globalization.CultureInfo.InvariantCulture),
        var other => (T)other!,
    };

    /// <summary>Sets the attribute <paramref name="name"/>.</summary>
    public void Set<T>(string name, T value) => _attributes[name] = value;

    /// <summary>The attributes now, as a local copy.</summary>
    public IReadOnlyDictionary<string, object?> Snapshot() => _attributes.Snapshot();

    /// <inheritdoc />
    public override bool TryGetMember(GetMemberBinder binder, out object? result)
    {
        ArgumentNullException.ThrowIfNull(binder);
        return _attributes.TryGetValue(binder.Name, out result);
    }

    /// <inheritdoc />
    public override bool TrySetMember(SetMemberBinder binder, object? value)
    {
        ArgumentNullException.ThrowIfNull(binder);
        _attributes[binder.Name] = value;
        return true;
    }

    /// <inheritdoc />
    public override IEnumerable<string> GetDynamicMemberNames() => _attributes.Snapshot().Keys;

    static AioNamespace IAioFacade<AioNamespace>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}
