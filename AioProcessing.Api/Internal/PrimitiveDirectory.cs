using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// Creates and finds primitives in the coordinator through its <see cref="Actors.Primitives.PrimitiveHost"/>, for one
/// <see cref="AioContext"/>. Kept apart from the context, whose concern is the coordinator's lifecycle and this
/// process's membership: this is the one conversation every facade's construction has with the coordinator.
/// </summary>
internal sealed class PrimitiveDirectory(AioContext context, IActorRef host)
{
    /// <summary>The coordinator's primitive host, parent of every primitive actor.</summary>
    public IActorRef Host { get; } = host;

    /// <summary>Creates a primitive actor in the coordinator, as a child of its primitive host (see <see cref="Actors.Primitives.PrimitiveHost"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> belongs to a primitive of another kind.</exception>
    public IActorRef CreatePrimitive(PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, string? shape = null, bool exclusive = false) =>
        Blocking.Wait(() => CreatePrimitiveAsync(kind, argument, argument2, payload, name, shape: shape, exclusive: exclusive));

    /// <summary>As <see cref="CreatePrimitive"/>, or with <paramref name="findOnly"/> only finds the named one.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> belongs to a primitive of another kind.</exception>
    /// <exception cref="SynchronizationLockException">With <paramref name="findOnly"/>: there is no primitive of that name.</exception>
    public async Task<IActorRef> CreatePrimitiveAsync(PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, bool findOnly = false, string? shape = null, bool exclusive = false, CancellationToken ct = default) =>
        (await CreateOrFindAsync(kind, argument, argument2, payload, name, findOnly, shape, exclusive, ct).ConfigureAwait(false)).Actor;

    /// <summary>As <see cref="CreatePrimitiveAsync"/>, and whether the primitive is new (false: a named one was found).</summary>
    /// <remarks>
    /// A named typed primitive found with another <c>shape</c> (<see cref="Serialization.TypeShape"/>) is refused; with
    /// <c>exclusive</c>, a name that exists at all is refused (<see cref="IOException"/>: in use).
    /// </remarks>
    public async Task<PrimitiveHost.Created> CreateOrFindAsync(PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, bool findOnly = false, string? shape = null, bool exclusive = false, CancellationToken ct = default)
    {
        context.ThrowIfDisposed();
        try
        {
            return await context.Link.AskAsync<PrimitiveHost.Created>(Host, new PrimitiveHost.Create(CoordinatorLink.NextId(), kind, argument, argument2, payload, name, findOnly, shape, exclusive), ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (name is not null)
        {
            throw new ArgumentException($"Cannot create {kind} '{name}': {ex.Message}.", nameof(name), ex);
        }
    }
}
