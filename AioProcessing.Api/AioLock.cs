using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
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

    private AioLock(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    static AioLock IAioFacade<AioLock>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private protected override IAioRequest AcquireRequest(long requestId, long timeoutMs) => new LockActor.Acquire(requestId, timeoutMs);

    private protected override IAioRequest ReleaseRequest(long requestId) => new LockActor.Release(requestId);
}
