using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A lock shared by every process of a coordinator, as Python's <c>multiprocessing.Lock</c> /
/// <c>aioprocessing.AioLock</c>: not reentrant, releasable by any process, waiters served first come, first served.
/// Pass it to an <see cref="AioProcess"/> and the child gets a facade bound to the same lock. A lock held by a
/// worker process is released when that process dies.
/// </summary>
public sealed class AioLock : AioAcquirable, IAioFacade<AioLock>
{
    /// <summary>Creates a new, unheld lock in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    public AioLock(AioContext? context = null)
        : base(context, PrimitiveHost.Kind.Lock)
    {
    }

    /// <summary>Finds the lock called <paramref name="name"/> in the coordinator, creating it unheld if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    public AioLock(string name, AioContext? context = null)
        : base(context, PrimitiveHost.Kind.Lock, name: name)
    {
    }

    private AioLock(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>Whether the lock is held now, by any process (Python's <c>locked()</c>).</summary>
    public bool IsLocked => Blocking.Wait(() => IsLockedAsync());

    /// <inheritdoc cref="IsLocked"/>
    /// <param name="ct">Stops waiting for the answer and throws <see cref="OperationCanceledException"/>.</param>
    public async Task<bool> IsLockedAsync(CancellationToken ct = default) =>
        (await Context.Link.AskAsync<LockActor.State>(Actor, new LockActor.Query(CoordinatorLink.NextId()), ct).ConfigureAwait(false)).Held;

    static AioLock IAioFacade<AioLock>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private protected override IAioRequest AcquireRequest(long requestId, long timeoutMs) => new LockActor.Acquire(requestId, timeoutMs);

    private protected override IAioRequest ReleaseRequest(long requestId) => new LockActor.Release(requestId);
}
