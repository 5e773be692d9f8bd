using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A primitive that is acquired and released (<see cref="AioLock"/>, <see cref="AioSemaphore"/>,
/// <see cref="AioBoundedSemaphore"/>, <see cref="AioCondition"/>): the members they share, with Python's semantics. Waiters are served first
/// come, first served. What a worker process holds is given back when its node goes down.
/// </summary>
public abstract class AioAcquirable : AioPrimitive
{
    private protected AioAcquirable(AioContext? context, PrimitiveHost.Kind kind, int argument = 0, byte[]? payload = null, string? name = null)
        : base(context, kind, argument, payload: payload, name: name)
    {
    }

    private protected AioAcquirable(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>
    /// Whether a release by a process that holds nothing noted here can fail and so must wait for the answer:
    /// true for locks (releasing an unheld lock throws) and bounded semaphores, false for plain semaphores.
    /// </summary>
    private protected virtual bool ReleaseCanFail => true;

    /// <summary>Acquires. Returns false when <paramref name="block"/> is false and nothing is free, or when <paramref name="timeout"/> elapses.</summary>
    /// <param name="block">False: acquire only if free now (the timeout is then ignored, as in Python).</param>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Withdraws the wait at the coordinator and throws <see cref="OperationCanceledException"/>.</param>
    public bool Acquire(bool block = true, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => AcquireCoreAsync(block ? timeout : TimeSpan.Zero, ct));

    /// <summary>Acquires; false when <paramref name="timeout"/> elapses first.</summary>
    /// <param name="timeout">How long to wait; null waits without limit, zero only tries.</param>
    /// <param name="ct">Withdraws the wait at the coordinator and throws <see cref="OperationCanceledException"/>: a cancelled acquire never takes anything later.</param>
    public Task<bool> AcquireAsync(TimeSpan? timeout = null, CancellationToken ct = default) => AcquireCoreAsync(timeout, ct);

    /// <summary>Releases once.</summary>
    /// <exception cref="SynchronizationLockException">A lock that is not held (for an <see cref="AioRLock"/>: not held by the caller).</exception>
    /// <exception cref="SemaphoreFullException">A bounded semaphore released more times than it was acquired.</exception>
    public void Release() => Blocking.Wait(ReleaseAsync);

    /// <summary>
    /// Releases once. What this process acquired is released without waiting for an answer: that cannot fail, and
    /// messages to the primitive stay in order, so this process's next acquire comes after it.
    /// </summary>
    /// <exception cref="SynchronizationLockException">A lock that is not held (for an <see cref="AioRLock"/>: not held by the caller).</exception>
    /// <exception cref="SemaphoreFullException">A bounded semaphore released more times than it was acquired.</exception>
    public Task ReleaseAsync() => ReleaseCoreAsync();

    /// <summary>Acquires and returns a handle that releases once when disposed: <c>using (x.Lock()) { ... }</c>.</summary>
    /// <exception cref="TimeoutException"><paramref name="timeout"/> elapsed first.</exception>
    public LockHandle Lock(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => LockAsync(timeout, ct));

    /// <summary>Acquires and returns a handle that releases once when disposed: <c>await using (await x.LockAsync()) { ... }</c>.</summary>
    /// <exception cref="TimeoutException"><paramref name="timeout"/> elapsed first.</exception>
    public Task<LockHandle> LockAsync(TimeSpan? timeout = null, CancellationToken ct = default) =>
        // Not an async method: whatever the acquire notes about its caller (an AioRLock's owner) must stay with the caller.
        ToHandleAsync(AcquireCoreAsync(timeout, ct), timeout);

    private protected abstract IAioRequest AcquireRequest(long requestId, long timeoutMs);

    private protected abstract IAioRequest ReleaseRequest(long requestId);

    /// <summary>Acquires at the actor. Overrides that note who the caller is must do so before their first await.</summary>
    private protected virtual async Task<bool> AcquireCoreAsync(TimeSpan? timeout, CancellationToken ct)
    {
        if (!await AskAcquireAsync(timeout, ct).ConfigureAwait(false))
        {
            return false;
        }

        // Noted so that this process's release of it needs no round trip.
        Context.NoteGrant(Actor);
        return true;
    }

    /// <summary>Releases at the actor; a release of something this process holds is told, not asked.</summary>
    private protected virtual Task ReleaseCoreAsync()
    {
        if (Context.TryTakeGrant(Actor) || !ReleaseCanFail)
        {
            TellRelease();
            return Task.CompletedTask;
        }

        return Requests.AskAsync<WaitProtocol.Ack>(Context, Actor, ReleaseRequest(Requests.NextId()), CancellationToken.None);
    }

    /// <summary>Sends a release that needs no answer: this process holds what it releases.</summary>
    private protected void TellRelease()
    {
        Context.ThrowIfDisposed();
        Context.SendUnsentPuts();
        Actor.Tell(ReleaseRequest(WaitProtocol.NoReply), Context.Inbox);
    }

    /// <summary>One acquire request to the actor and its answer: true when granted.</summary>
    private protected async Task<bool> AskAcquireAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        var result = await Requests.AskAsync<WaitProtocol.Result>(Context, Actor, AcquireRequest(Requests.NextId(), timeoutMs), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
        return Requests.Granted(result.Outcome, ct);
    }

    private async Task<LockHandle> ToHandleAsync(Task<bool> acquiring, TimeSpan? timeout)
    {
        if (!await acquiring.ConfigureAwait(false))
        {
            throw new TimeoutException($"{GetType().Name} was not free within {timeout}.");
        }

        return new LockHandle(ReleaseAsync, Context.LostToken);
    }
}

/// <summary>
/// A held lock or permit; disposing it releases exactly once, however often it is disposed. <see cref="HoldLost"/>
/// fires if the hold ends without a release: this process lost its coordinator (which then gives back what this
/// process held, or is gone) or its context was disposed.
/// </summary>
public sealed class LockHandle : IDisposable, IAsyncDisposable
{
    private Func<Task>? _release;

    internal LockHandle(Func<Task> release, CancellationToken holdLost)
    {
        _release = release;
        HoldLost = holdLost;
    }

    /// <summary>Fires when the hold is lost without a release (coordinator lost, context disposed); pass it to the work done under the hold.</summary>
    public CancellationToken HoldLost { get; }

    /// <summary>Releases if this handle still holds.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _release, null) is { } release)
        {
            Blocking.Wait(release);
        }
    }

    /// <summary>Releases if this handle still holds.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _release, null) is { } release)
        {
            await release().ConfigureAwait(false);
        }
    }
}
