using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

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

    /// <summary>Reads <paramref name="key"/>: whether it is there, and its value if it is (the async form of <see cref="TryGetValue"/>).</summary>
    public async Task<(bool Found, TValue Value)> TryGetValueAsync(TKey key, CancellationToken ct = default)
    {
        var entry = await EntryAsync(key, ct).ConfigureAwait(false);
        return entry.Found ? (true, Decode(entry.Value)) : (false, default!);
    }

    /// <summary>Whether <paramref name="key"/> is there now.</summary>
    public bool ContainsKey(TKey key) => Blocking.Wait(() => ContainsKeyAsync(key));

    /// <inheritdoc cref="ContainsKey"/>
    public async Task<bool> ContainsKeyAsync(TKey key, CancellationToken ct = default) => (await EntryAsync(key, ct).ConfigureAwait(false)).Found;

    /// <summary>Removes <paramref name="key"/>; false when it was not there.</summary>
    public bool Remove(TKey key) => Blocking.Wait(() => RemoveAsync(key));

    /// <inheritdoc cref="Remove"/>
    public async Task<bool> RemoveAsync(TKey key, CancellationToken ct = default) =>
        (await Context.Link.AskAsync<DictActor.Entry>(Actor, new DictActor.Remove(CoordinatorLink.NextId(), EncodeKey(key), DictActor.AnyVersion), ct).ConfigureAwait(false)).Applied;

    /// <summary>Removes every entry.</summary>
    public void Clear() => Blocking.Wait(() => ClearAsync());

    /// <inheritdoc cref="Clear"/>
    public Task ClearAsync(CancellationToken ct = default) => Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new DictActor.Clear(CoordinatorLink.NextId()), ct);

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
