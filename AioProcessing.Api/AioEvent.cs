using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// An event flag shared by every process of a coordinator, as Python's <c>multiprocessing.Event</c> /
/// <c>aioprocessing.AioEvent</c>.
/// </summary>
public sealed class AioEvent : AioPrimitive, IAioFacade<AioEvent>
{
    /// <summary>Creates a new, cleared event in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    public AioEvent(AioContext? context = null)
        : base(context, PrimitiveHost.Kind.Event)
    {
    }

    /// <summary>Finds the event called <paramref name="name"/> in the coordinator, creating it clear if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    public AioEvent(string name, AioContext? context = null)
        : base(context, PrimitiveHost.Kind.Event, name: name)
    {
    }

    private AioEvent(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>Whether the flag is set (one round trip to the coordinator).</summary>
    public bool IsSet => Blocking.Wait(() => IsSetAsync());

    /// <summary>Whether the flag is set.</summary>
    public async Task<bool> IsSetAsync(CancellationToken ct = default) =>
        (await Context.Link.AskAsync<EventActor.State>(Actor, new EventActor.Query(CoordinatorLink.NextId()), ct).ConfigureAwait(false)).IsSet;

    /// <summary>Sets the flag and wakes every waiter; returns once the coordinator applied it.</summary>
    public void Set() => Blocking.Wait(() => SetAsync());

    /// <inheritdoc cref="Set"/>
    public Task SetAsync(CancellationToken ct = default) => Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new EventActor.Set(CoordinatorLink.NextId()), ct);

    /// <summary>Clears the flag; returns once the coordinator applied it.</summary>
    public void Clear() => Blocking.Wait(() => ClearAsync());

    /// <inheritdoc cref="Clear"/>
    public Task ClearAsync(CancellationToken ct = default) => Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new EventActor.Clear(CoordinatorLink.NextId()), ct);

    /// <summary>Waits until the flag is set; false when <paramref name="timeout"/> elapses first.</summary>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Withdraws the wait at the coordinator and throws <see cref="OperationCanceledException"/>.</param>
    public bool Wait(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => WaitAsync(timeout, ct));

    /// <inheritdoc cref="Wait"/>
    public async Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        var result = await Context.Link.AskAsync<WaitProtocol.Result>(Actor, new EventActor.Wait(CoordinatorLink.NextId(), timeoutMs), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
        return Requests.Granted(result.Outcome, ct);
    }

    static AioEvent IAioFacade<AioEvent>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}
