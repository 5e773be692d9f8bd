using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>
/// AioLock's sync and async members: exclusivity, scopes, timeouts, cancellation and blocking callers on the thread
/// pool, in the coordinator's own process.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class LockFacadeSpecs
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);
    private readonly AioContext _context;

    public LockFacadeSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_lock_is_exclusive_and_times_out_as_python_does()
    {
        var lck = new AioLock(_context);
        Assert.True(lck.Acquire());
        Assert.False(lck.Acquire(block: false));
        Assert.False(await lck.AcquireAsync(Short));
        lck.Release();
        Assert.True(await lck.AcquireAsync(TimeSpan.Zero));
        await lck.ReleaseAsync();
        Assert.Throws<SynchronizationLockException>(lck.Release);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_lock_scope_releases_exactly_once()
    {
        var lck = new AioLock(_context);
        var handle = await lck.LockAsync();
        await handle.DisposeAsync();
        await handle.DisposeAsync();
        handle.Dispose();
        using (lck.Lock())
        {
            Assert.False(lck.Acquire(block: false));
        }

        Assert.True(lck.Acquire(block: false));
        await Assert.ThrowsAsync<TimeoutException>(() => lck.LockAsync(Short));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_cancelled_acquire_throws_and_never_takes_the_lock_later()
    {
        var lck = new AioLock(_context);
        await lck.AcquireAsync();
        using var cts = new CancellationTokenSource();
        var waiting = lck.AcquireAsync(ct: cts.Token);
        // One process's requests reach the lock in order: once this try is answered, the acquire above waits there.
        Assert.False(await lck.AcquireAsync(TimeSpan.Zero));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        await lck.ReleaseAsync();
        // Had the cancelled waiter been granted the lock on release, this try would fail.
        Assert.True(await lck.AcquireAsync(TimeSpan.Zero));
    }

    [Fact]
    public void An_already_cancelled_token_throws_before_anything_is_sent()
    {
        var lck = new AioLock(_context);
        Assert.Throws<OperationCanceledException>(() => lck.Acquire(ct: new CancellationToken(true)));
        Assert.True(lck.Acquire(block: false));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Blocking_callers_on_256_thread_pool_threads_all_finish()
    {
        // Sync facades block pool threads; their answers arrive on dedicated threads, so none of them starves.
        var lck = new AioLock(_context);
        var done = new AioQueue<int>(context: _context);
        var callers = Enumerable.Range(0, 256).Select(i => Task.Run(() => LockContention.ContendSync(lck, done, i))).ToArray();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(256, await done.CountAsync());
        Assert.True(await lck.AcquireAsync(TimeSpan.Zero));
    }

    [Fact]
    public void A_negative_timeout_is_refused()
    {
        var lck = new AioLock(_context);
        Assert.Throws<ArgumentOutOfRangeException>(() => lck.Acquire(timeout: TimeSpan.FromSeconds(-2)));
        Assert.True(lck.Acquire(timeout: Timeout.InfiniteTimeSpan));
    }
}
