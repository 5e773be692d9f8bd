using System.Text;
using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A condition variable over an <see cref="AioLock"/> or an <see cref="AioRLock"/>, shared by every process of a
/// coordinator, as Python's <c>multiprocessing.Condition</c>. Its lock members act on that lock. <see cref="Wait"/>
/// (with the lock held) releases the lock, however deeply an <see cref="AioRLock"/> is held, waits for a
/// <see cref="Notify"/>, and holds the lock again, as deeply as before, when it returns or throws.
/// </summary>
public sealed class AioCondition : AioAcquirable, IAioFacade<AioCondition>
{
    private readonly AioRLock? _rlock;

    /// <summary>Creates a condition over <paramref name="lck"/>, or over a new <see cref="AioLock"/> when null.</summary>
    /// <param name="lck">The lock; a new <see cref="AioLock"/> when null.</param>
    /// <param name="context">The coordinator; defaults to the lock's, then to <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The lock belongs to another context.</exception>
    public AioCondition(AioLock? lck = null, AioContext? context = null)
        : base(context ?? lck?.Context, PrimitiveHost.Kind.Condition, payload: LockPath(lck ?? new AioLock(context), context, nameof(lck)))
    {
    }

    /// <summary>Creates a condition over the reentrant lock <paramref name="lck"/> (Python's default lock for a condition).</summary>
    /// <param name="lck">The reentrant lock.</param>
    /// <param name="context">The coordinator; defaults to the lock's.</param>
    /// <exception cref="ArgumentException">The lock belongs to another context.</exception>
    public AioCondition(AioRLock lck, AioContext? context = null)
        : base(context ?? lck?.Context, PrimitiveHost.Kind.Condition, payload: LockPath(lck ?? throw new ArgumentNullException(nameof(lck)), context, nameof(lck))) =>
        _rlock = lck;

    /// <summary>Finds the condition called <paramref name="name"/> in the coordinator, creating it over <paramref name="lck"/> (or a new lock) if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it (and ignore the other arguments).</param>
    /// <param name="lck">The lock, if this call creates it; a new <see cref="AioLock"/> when null.</param>
    /// <param name="context">The coordinator; defaults to the lock's, then to <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty or belongs to a primitive of another kind, or the lock belongs to another context.</exception>
    public AioCondition(string name, AioLock? lck = null, AioContext? context = null)
        : base(context ?? lck?.Context, PrimitiveHost.Kind.Condition, payload: LockPath(lck ?? new AioLock(context), context, nameof(lck)), name: name)
    {
    }

    private AioCondition(AioContext context, IActorRef actor, AioRLock? rlock = null)
        : base(context, actor) =>
        _rlock = rlock;

    IActorRef? IAioFacade.Companion => _rlock?.Actor;

    /// <summary>Releases the lock, waits until notified, and takes the lock back; false when <paramref name="timeout"/> elapsed first.</summary>
    /// <param name="timeout">How long to wait for a notify; null waits without limit.</param>
    /// <param name="ct">Withdraws the wait (it never consumes a notify), takes the lock back, then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="SynchronizationLockException">The lock is not held.</exception>
    public bool Wait(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => WaitAsync(timeout, ct));

    /// <inheritdoc cref="Wait"/>
    public Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        ct.ThrowIfCancellationRequested();
        // Not an async method: an AioRLock's holds are checked against the caller's own flow, before anything is sent.
        var suspended = _rlock?.Ownership.Suspend();
        return WaitCoreAsync(timeoutMs, suspended, ct);
    }

    private async Task<bool> WaitCoreAsync(long timeoutMs, RLockOwnership.Frame[]? suspended, CancellationToken ct)
    {
        // No deadline on the call itself: after the notify it still waits for the lock, for as long as that takes.
        var result = await Context.Link.AskAsync<WaitProtocol.Result>(Actor, new ConditionActor.Wait(CoordinatorLink.NextId(), timeoutMs), WaitProtocol.Infinite, cancellable: true, ct).ConfigureAwait(false);
        if (suspended is not null)
        {
            // The coordinator gave the lock back to this process for this waiter: its holds return as they were.
            _rlock!.Ownership.Restore(suspended);
        }

        return Requests.Granted(result.Outcome, ct);
    }

    /// <summary>Waits until <paramref name="predicate"/> is true (checked with the lock held), at most <paramref name="timeout"/>; returns its last value.</summary>
    /// <exception cref="SynchronizationLockException">The lock is not held.</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => WaitForAsync(predicate, timeout, ct));

    /// <inheritdoc cref="WaitFor"/>
    public async Task<bool> WaitForAsync(Func<bool> predicate, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var deadline = Deadline.After(timeout);
        var satisfied = predicate();
        while (!satisfied && deadline.Remaining is var remaining && remaining != TimeSpan.Zero)
        {
            await WaitAsync(remaining, ct).ConfigureAwait(false);
            satisfied = predicate();
        }

        return satisfied;
    }

    /// <summary>Wakes up to <paramref name="n"/> waiters, longest-waiting first.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public void Notify(int n = 1) => Blocking.Wait(() => NotifyAsync(n));

    /// <inheritdoc cref="Notify"/>
    public Task NotifyAsync(int n = 1, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new ConditionActor.Notify(CoordinatorLink.NextId(), n), ct);
    }

    /// <summary>Wakes every waiter.</summary>
    public void NotifyAll() => Notify(int.MaxValue);

    /// <inheritdoc cref="NotifyAll"/>
    public Task NotifyAllAsync(CancellationToken ct = default) => NotifyAsync(int.MaxValue, ct);

    static AioCondition IAioFacade<AioCondition>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    static AioCondition IAioFacade<AioCondition>.Rebind(AioContext context, IActorRef actor, IActorRef companion) =>
        new(context, actor, AioRLock.Bind(context, companion));

    private protected override Task<long> AcquireCoreAsync(TimeSpan? timeout, CancellationToken ct) =>
        _rlock is null ? base.AcquireCoreAsync(timeout, ct) : _rlock.AcquireForConditionAsync(timeout, ct);

    private protected override Task ReleaseCoreAsync() => _rlock is null ? base.ReleaseCoreAsync() : _rlock.ReleaseAsync();

    private protected override IAioRequest AcquireRequest(long requestId, long timeoutMs) => new LockActor.Acquire(requestId, timeoutMs);

    private protected override IAioRequest ReleaseRequest(long requestId) => new LockActor.Release(requestId);

    private static byte[] LockPath(AioAcquirable lck, AioContext? context, string paramName)
    {
        if (context is not null && !ReferenceEquals(lck.Context, context))
        {
            throw new ArgumentException("The lock belongs to another AioContext than the condition.", paramName);
        }

        return Encoding.UTF8.GetBytes(lck.Context.PathOf(lck.Actor));
    }
}
