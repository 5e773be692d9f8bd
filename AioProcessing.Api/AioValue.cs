using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

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
