using System.Diagnostics;
using System.Text;
using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A condition variable over an <see cref="AioLock"/>, shared by every process of a coordinator, as Python's
/// <c>multiprocessing.Condition</c>. Its lock members act on that lock. <see cref="Wait"/> (with the lock held)
/// releases the lock, waits for a <see cref="Notify"/>, and holds the lock again when it returns or throws.
/// </summary>
public sealed class AioCondition : AioAcquirable, IAioFacade<AioCondition>
{
    /// <summary>Creates a condition over <paramref name="lck"/>, or over a new lock when null.</summary>
    /// <param name="lck">The lock; a new <see cref="AioLock"/> when null (Python's default is a reentrant lock, which AioProcessing does not have yet).</param>
    /// <param name="context">The coordinator; defaults to the lock's, then to <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The lock belongs to another context.</exception>
    public AioCondition(AioLock? lck = null, AioContext? context = null)
        : base(context ?? lck?.Context, PrimitiveHost.Kind.Condition, payload: LockPath(lck, context))
    {
    }

    private AioCondition(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>Releases the lock, waits until notified, and takes the lock back; false when <paramref name="timeout"/> elapsed first.</summary>
    /// <param name="timeout">How long to wait for a notify; null waits without limit.</param>
    /// <param name="ct">Withdraws the wait (it never consumes a notify), takes the lock back, then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="SynchronizationLockException">The lock is not held.</exception>
    public bool Wait(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => WaitAsync(timeout, ct));

    /// <inheritdoc cref="Wait"/>
    public async Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        // No deadline on the call itself: after the notify it still waits for the lock, for as long as that takes.
        var result = await Requests.AskAsync<WaitProtocol.Result>(Context, Actor, new ConditionActor.Wait(Requests.NextId(), timeoutMs), WaitProtocol.Infinite, cancellable: true, ct).ConfigureAwait(false);
        return Requests.Granted(result.Outcome, ct);
    }

    /// <summary>Waits until <paramref name="predicate"/> is true (checked with the lock held), at most <paramref name="timeout"/>; returns its last value.</summary>
    /// <exception cref="SynchronizationLockException">The lock is not held.</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var clock = Stopwatch.StartNew();
        var satisfied = predicate();
        while (!satisfied && Remaining(timeout, clock) is var remaining && remaining != TimeSpan.Zero)
        {
            Wait(remaining, ct);
            satisfied = predicate();
        }

        return satisfied;
    }

    /// <inheritdoc cref="WaitFor"/>
    public async Task<bool> WaitForAsync(Func<bool> predicate, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var clock = Stopwatch.StartNew();
        var satisfied = predicate();
        while (!satisfied && Remaining(timeout, clock) is var remaining && remaining != TimeSpan.Zero)
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
        return Requests.AskAsync<WaitProtocol.Ack>(Context, Actor, new ConditionActor.Notify(Requests.NextId(), n), ct);
    }

    /// <summary>Wakes every waiter.</summary>
    public void NotifyAll() => Notify(int.MaxValue);

    /// <inheritdoc cref="NotifyAll"/>
    public Task NotifyAllAsync(CancellationToken ct = default) => NotifyAsync(int.MaxValue, ct);

    static AioCondition IAioFacade<AioCondition>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private protected override IAioRequest AcquireRequest(long requestId, long timeoutMs) => new LockActor.Acquire(requestId, timeoutMs);

    private protected override IAioRequest ReleaseRequest(long requestId) => new LockActor.Release(requestId);

    // Null for no limit; otherwise what is left of the timeout, never negative.
    private static TimeSpan? Remaining(TimeSpan? timeout, Stopwatch clock) =>
        timeout is not { } limit || limit == Timeout.InfiniteTimeSpan ? null : limit - clock.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    private static byte[] LockPath(AioLock? lck, AioContext? context)
    {
        if (lck is not null && context is not null && !ReferenceEquals(lck.Context, context))
        {
            throw new ArgumentException("The lock belongs to another AioContext than the condition.", nameof(lck));
        }

        var theLock = lck ?? new AioLock(context);
        return Encoding.UTF8.GetBytes(theLock.Context.PathOf(theLock.Actor));
    }
}
