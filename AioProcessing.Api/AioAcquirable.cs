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
        Blocking.Wait(() => AcquireCoreAsync(block ? timeout : TimeSpan.Zero, ct)) != NotGranted;

    /// <summary>Acquires; false when <paramref name="timeout"/> elapses first.</summary>
    /// <param name="timeout">How long to wait; null waits without limit, zero only tries.</param>
    /// <param name="ct">Withdraws the wait at the coordinator and throws <see cref="OperationCanceledException"/>: a cancelled acquire never takes anything later.</param>
    public Task<bool> AcquireAsync(TimeSpan? timeout = null, CancellationToken ct = default) => IsGranted(AcquireCoreAsync(timeout, ct));

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

    /// <summary>What an acquire returns when nothing was granted; a grant returns its fencing token, which is at least 1.</summary>
    private protected const long NotGranted = 0;

    private static readonly Task<bool> GrantedTask = Task.FromResult(true), NotGrantedTask = Task.FromResult(false);

    private protected abstract IAioRequest AcquireRequest(long requestId, long timeoutMs);

    private protected abstract IAioRequest ReleaseRequest(long requestId);

    /// <summary>
    /// Acquires at the actor: the grant's fencing token, or <see cref="NotGranted"/>. Overrides that note who the
    /// caller is must do so before their first await.
    /// </summary>
    private protected virtual async Task<long> AcquireCoreAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var token = await AskAcquireAsync(timeout, ct).ConfigureAwait(false);
        if (token != NotGranted)
        {
            // Noted so that this process's release of it needs no round trip.
            Context.Ledger.NoteGrant(Actor);
        }

        return token;
    }

    /// <summary>Releases at the actor; a release of something this process holds is told, not asked.</summary>
    private protected virtual Task ReleaseCoreAsync()
    {
        if (Context.Ledger.TryTakeGrant(Actor) || !ReleaseCanFail)
        {
            TellRelease();
            return Task.CompletedTask;
        }

        return Context.Link.AskAsync<WaitProtocol.Ack>(Actor, ReleaseRequest(CoordinatorLink.NextId()), CancellationToken.None);
    }

    /// <summary>Sends a release that needs no answer: this process holds what it releases.</summary>
    private protected void TellRelease()
    {
        Context.ThrowIfDisposed();
        Context.Link.Tell(Actor, ReleaseRequest(WaitProtocol.NoReply));
    }

    /// <summary>One acquire request to the actor and its answer: the grant's fencing token, or <see cref="NotGranted"/>.</summary>
    private protected async Task<long> AskAcquireAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        var result = await Context.Link.AskAsync<WaitProtocol.Result>(Actor, AcquireRequest(CoordinatorLink.NextId(), timeoutMs), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
        return Requests.Granted(result.Outcome, ct) ? result.FencingToken : NotGranted;
    }

    // Without a state machine when the acquire completed at once (a local grant, an RLock's nested hold).
    private static Task<bool> IsGranted(Task<long> acquiring) =>
        acquiring.IsCompletedSuccessfully ? (acquiring.Result != NotGranted ? GrantedTask : NotGrantedTask) : IsGrantedAsync(acquiring);

    private static async Task<bool> IsGrantedAsync(Task<long> acquiring) => await acquiring.ConfigureAwait(false) != NotGranted;

    private async Task<LockHandle> ToHandleAsync(Task<long> acquiring, TimeSpan? timeout)
    {
        var token = await acquiring.ConfigureAwait(false);
        if (token == NotGranted)
        {
            throw new TimeoutException($"{GetType().Name} was not free within {timeout}.");
        }

        return new LockHandle(ReleaseAsync, Context.LostToken, token);
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

    internal LockHandle(Func<Task> release, CancellationToken holdLost, long fencingToken)
    {
        _release = release;
        HoldLost = holdLost;
        FencingToken = fencingToken;
    }

    /// <summary>Fires when the hold is lost without a release (coordinator lost, context disposed); pass it to the work done under the hold.</summary>
    public CancellationToken HoldLost { get; }

    /// <summary>
    /// The number of this grant: it grows with every grant of the lock or semaphore (from 1), so a resource written
    /// under the hold can remember the highest token it has seen and refuse a write with a lower one. That fences off
    /// a holder that froze past its hold (its process was declared dead and the lock handed on) and then woke up,
    /// which no timeout on the holder's side can rule out. Nested holds of an <see cref="AioRLock"/> share the token
    /// of the outermost one. Tokens count from the start of the coordinator that hosts the primitive.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>
    /// Releases if this handle still holds. Never throws: it runs at the end of a <c>using</c> block, where an
    /// exception would hide the one in flight. A release that cannot be made (the context was disposed or lost its
    /// coordinator, which then gives back what this process held; the lock was released by hand) is dropped, and
    /// <see cref="HoldLost"/> says whether the hold ended without it.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _release, null) is { } release)
        {
            try
            {
                Blocking.Wait(release);
            }
#pragma warning disable CA1031 // Dispose must not throw; see the summary.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _release, null) is { } release)
        {
            try
            {
                await release().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Dispose must not throw; see Dispose.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }
}
