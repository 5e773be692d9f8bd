using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A counting semaphore shared by every process of a coordinator, as Python's <c>multiprocessing.Semaphore</c>:
/// <see cref="AioAcquirable.Acquire"/> takes a permit, waiting while none is free; <see cref="AioAcquirable.Release"/>
/// returns one and never fails. Permits a worker process holds are returned when it dies.
/// </summary>
public class AioSemaphore : AioAcquirable, IAioFacade<AioSemaphore>
{
    /// <summary>Creates a semaphore with <paramref name="value"/> free permits in the coordinator of <paramref name="context"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public AioSemaphore(int value = 1, AioContext? context = null)
        : this(value, PrimitiveHost.Kind.Semaphore, context)
    {
    }

    /// <summary>Finds the semaphore called <paramref name="name"/> in the coordinator, creating it with <paramref name="value"/> free permits if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it.</param>
    /// <param name="value">The initial value, if this call creates it.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public AioSemaphore(string name, int value = 1, AioContext? context = null)
        : this(value, PrimitiveHost.Kind.Semaphore, context, name)
    {
    }

    private protected AioSemaphore(int value, PrimitiveHost.Kind kind, AioContext? context, string? name = null)
        : base(context, kind, CheckValue(value), name: name)
    {
    }

    private protected AioSemaphore(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>The number of free permits now (Python's <c>get_value()</c>).</summary>
    public int Value => Blocking.Wait(() => ValueAsync());

    private protected override bool ReleaseCanFail => false;

    /// <summary>The number of free permits now.</summary>
    public async Task<int> ValueAsync(CancellationToken ct = default) =>
        (await Context.Link.AskAsync<SemaphoreActor.State>(Actor, new SemaphoreActor.Query(CoordinatorLink.NextId()), ct).ConfigureAwait(false)).Available;

    static AioSemaphore IAioFacade<AioSemaphore>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private protected override IAioRequest AcquireRequest(long requestId, long timeoutMs) => new SemaphoreActor.Acquire(requestId, timeoutMs);

    private protected override IAioRequest ReleaseRequest(long requestId) => new SemaphoreActor.Release(requestId, 1);

    private static int CheckValue(int value) =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A semaphore's initial value must be zero or more.");
}

/// <summary>
/// A semaphore that may not be released more times than it was acquired, as Python's
/// <c>multiprocessing.BoundedSemaphore</c>: such a release throws <see cref="SemaphoreFullException"/>.
/// </summary>
public sealed class AioBoundedSemaphore : AioSemaphore, IAioFacade<AioBoundedSemaphore>
{
    /// <summary>Creates a bounded semaphore with <paramref name="value"/> free permits in the coordinator of <paramref name="context"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public AioBoundedSemaphore(int value = 1, AioContext? context = null)
        : base(value, PrimitiveHost.Kind.BoundedSemaphore, context)
    {
    }

    /// <summary>Finds the bounded semaphore called <paramref name="name"/> in the coordinator, creating it with <paramref name="value"/> free permits if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it.</param>
    /// <param name="value">The initial value, if this call creates it.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public AioBoundedSemaphore(string name, int value = 1, AioContext? context = null)
        : base(value, PrimitiveHost.Kind.BoundedSemaphore, context, name)
    {
    }

    private AioBoundedSemaphore(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    private protected override bool ReleaseCanFail => true;

    static AioBoundedSemaphore IAioFacade<AioBoundedSemaphore>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}
