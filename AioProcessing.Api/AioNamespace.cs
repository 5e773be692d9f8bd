using System.Dynamic;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

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
    public T Get<T>(string name) => Blocking.Wait(() => GetAsync<T>(name));

    /// <inheritdoc cref="Get"/>
    public async Task<T> GetAsync<T>(string name, CancellationToken ct = default) => await _attributes.GetAsync(name, ct).ConfigureAwait(false) switch
    {
        T typed => typed,
        IConvertible convertible => (T)Convert.ChangeType(convertible, typeof(T), System.Globalization.CultureInfo.InvariantCulture),
        var other => (T)other!,
    };

    /// <summary>Sets the attribute <paramref name="name"/>.</summary>
    public void Set<T>(string name, T value) => _attributes[name] = value;

    /// <inheritdoc cref="Set"/>
    public Task SetAsync<T>(string name, T value, CancellationToken ct = default) => _attributes.SetAsync(name, value, ct);

    /// <summary>The attributes now, as a local copy.</summary>
    public IReadOnlyDictionary<string, object?> Snapshot() => _attributes.Snapshot();

    /// <inheritdoc cref="Snapshot"/>
    public Task<IReadOnlyDictionary<string, object?>> SnapshotAsync(CancellationToken ct = default) => _attributes.SnapshotAsync(ct);

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
