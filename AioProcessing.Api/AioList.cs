using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

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
    public void AddRange(IEnumerable<T> items) => Blocking.Wait(() => AddRangeAsync(items));

    /// <inheritdoc cref="AddRange"/>
    public Task AddRangeAsync(IEnumerable<T> items, CancellationToken ct = default) => OpAsync(ListActor.OpKind.Append, 0, [.. items.Select(Encode)], ct);

    /// <summary>Inserts <paramref name="item"/> at <paramref name="index"/>.</summary>
    public void Insert(int index, T item) => Blocking.Wait(() => InsertAsync(index, item));

    /// <inheritdoc cref="Insert"/>
    public Task InsertAsync(int index, T item, CancellationToken ct = default) => OpAsync(ListActor.OpKind.Insert, index, [Encode(item)], ct);

    /// <summary>Removes and returns the item at <paramref name="index"/> (Python's <c>pop</c>; -1 is the last).</summary>
    public T Pop(int index = -1) => Blocking.Wait(() => PopAsync(index));

    /// <inheritdoc cref="Pop"/>
    public async Task<T> PopAsync(int index = -1, CancellationToken ct = default) =>
        Context.Payloads.Deserialize<T>((await OpAsync(ListActor.OpKind.RemoveAt, index, [], ct).ConfigureAwait(false)).Items[0]);

    /// <summary>Removes every item.</summary>
    public void Clear() => Blocking.Wait(() => ClearAsync());

    /// <inheritdoc cref="Clear"/>
    public Task ClearAsync(CancellationToken ct = default) => OpAsync(ListActor.OpKind.Clear, 0, [], ct);

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
