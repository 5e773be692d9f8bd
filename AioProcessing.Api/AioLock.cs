using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A lock shared by every process of a coordinator, as Python's <c>multiprocessing.Lock</c> /
/// <c>aioprocessing.AioLock</c>: not reentrant, releasable by any process, waiters served first come, first served.
/// Pass it to an <see cref="AioProcess"/> and the child gets a facade bound to the same lock.
/// </summary>
public sealed class AioLock : AioPrimitive, IAioFacade<AioLock>
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

    /// <summary>Takes the lock. Returns false when <paramref name="block"/> is false and the lock is held, or when <paramref name="timeout"/> elapses.</summary>
    /// <param name="block">False: take the lock only if it is free now (the timeout is then ignored, as in Python).</param>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Withdraws the wait at the coordinator and throws <see cref="OperationCanceledException"/>.</param>
    public bool Acquire(bool block = true, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => AcquireCoreAsync(block ? timeout : TimeSpan.Zero, ct));

    /// <summary>Takes the lock; false when <paramref name="timeout"/> elapses first.</summary>
    /// <param name="timeout">How long to wait; null waits without limit, zero only tries.</param>
    /// <param name="ct">Withdraws the wait at the coordinator and throws <see cref="OperationCanceledException"/>: a cancelled acquire never takes the lock later.</param>
    public Task<bool> AcquireAsync(TimeSpan? timeout = null, CancellationToken ct = default) => AcquireCoreAsync(timeout, ct);

    /// <summary>Releases the lock.</summary>
    /// <exception cref="SynchronizationLockException">The lock is not held.</exception>
    public void Release() => Blocking.Wait(ReleaseAsync);

    /// <summary>
    /// Releases the lock. When this process took it, the release is sent without waiting for an answer: it cannot
    /// fail, and messages to the lock stay in order, so this process's next acquire comes after it.
    /// </summary>
    /// <exception cref="SynchronizationLockException">The lock is not held.</exception>
    public Task ReleaseAsync()
    {
        if (Context.TryTakeGrant(Actor))
        {
            Context.ThrowIfDisposed();
            Actor.Tell(new LockActor.Release(WaitProtocol.NoReply), Context.Inbox);
            return Task.CompletedTask;
        }

        return Requests.AskAsync<WaitProtocol.Ack>(Context, Actor, new LockActor.Release(Requests.NextId()), CancellationToken.None);
    }

    /// <summary>Takes the lock and returns a handle that releases it once when disposed: <c>using (lck.Lock()) { ... }</c>.</summary>
    /// <exception cref="TimeoutException"><paramref name="timeout"/> elapsed before the lock was free.</exception>
    public LockHandle Lock(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => LockAsync(timeout, ct));

    /// <summary>Takes the lock and returns a handle that releases it once when disposed: <c>await using (await lck.LockAsync()) { ... }</c>.</summary>
    /// <exception cref="TimeoutException"><paramref name="timeout"/> elapsed before the lock was free.</exception>
    public async Task<LockHandle> LockAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        if (!await AcquireCoreAsync(timeout, ct).ConfigureAwait(false))
        {
            throw new TimeoutException($"The lock was not free within {timeout}.");
        }

        return new LockHandle(ReleaseAsync);
    }

    static AioLock IAioFacade<AioLock>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private async Task<bool> AcquireCoreAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        var result = await Requests.AskAsync<WaitProtocol.Result>(Context, Actor, new LockActor.Acquire(Requests.NextId(), timeoutMs), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
        if (!Requests.Granted(result.Outcome, ct))
        {
            return false;
        }

        Context.NoteGrant(Actor);
        return true;
    }
}

/// <summary>A held lock; disposing it releases the lock exactly once, however often it is disposed.</summary>
public sealed class LockHandle : IDisposable, IAsyncDisposable
{
    private Func<Task>? _release;

    internal LockHandle(Func<Task> release) => _release = release;

    /// <summary>Releases the lock if this handle still holds it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _release, null) is { } release)
        {
            Blocking.Wait(release);
        }
    }

    /// <summary>Releases the lock if this handle still holds it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _release, null) is { } release)
        {
            await release().ConfigureAwait(false);
        }
    }
}
