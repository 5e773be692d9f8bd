using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

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

    /// <inheritdoc cref="ToArray"/>
    public async Task<T[]> ToArrayAsync(CancellationToken ct = default) => [.. await _items.SnapshotAsync(ct).ConfigureAwait(false)];

    static AioArray<T> IAioFacade<AioArray<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}
