using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>The facades' sync and async members, timeouts and cancellation, in the coordinator's own process.</summary>
public sealed class FacadeSpecs : IClassFixture<ContextFixture>
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);
    private readonly AioContext _context;

    public FacadeSpecs(ContextFixture fixture) => _context = fixture.Context;

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
    public async Task A_semaphore_counts_permits_and_a_bounded_one_refuses_over_release()
    {
        var sem = new AioSemaphore(2, _context);
        Assert.True(sem.Acquire());
        Assert.True(await sem.AcquireAsync());
        Assert.False(sem.Acquire(block: false));
        Assert.Equal(0, sem.Value);
        sem.Release();
        await sem.ReleaseAsync();
        await sem.ReleaseAsync(); // a plain semaphore may go above its initial value, as in Python
        Assert.Equal(3, await sem.ValueAsync());

        var bounded = new AioBoundedSemaphore(1, _context);
        using (await bounded.LockAsync(Short))
        {
            Assert.False(await bounded.AcquireAsync(TimeSpan.Zero));
        }

        Assert.Throws<SemaphoreFullException>(bounded.Release);
        Assert.Equal(1, bounded.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AioSemaphore(-1, _context));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_barrier_releases_its_parties_with_distinct_indices_and_runs_its_action_once()
    {
        var runs = new AioQueue<int>(context: _context);
        var barrier = new AioBarrier(3, () => runs.Put(1), context: _context);
        Assert.Equal(3, barrier.Parties);
        var first = barrier.WaitAsync(Bounds.Remote);
        await Conditions.UntilAsync(() => barrier.NWaiting == 1);
        Assert.Equal(1, barrier.NWaiting);
        var indices = await Task.WhenAll(first, barrier.WaitAsync(Bounds.Remote), Task.Run(() => barrier.Wait(Bounds.Remote)));
        Assert.Equal([0, 1, 2], indices.Order());
        Assert.Equal(1, await runs.CountAsync());
        Assert.False(barrier.Broken);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_barrier_breaks_on_timeout_and_abort_and_is_whole_again_after_reset()
    {
        var barrier = new AioBarrier(2, timeout: TimeSpan.FromMilliseconds(100), context: _context);
        await Assert.ThrowsAsync<BrokenBarrierException>(() => barrier.WaitAsync());
        Assert.True(barrier.Broken);
        Assert.Throws<BrokenBarrierException>(() => barrier.Wait());
        await barrier.ResetAsync();
        Assert.False(barrier.Broken);

        var waiting = barrier.WaitAsync(Bounds.Remote);
        await Conditions.UntilAsync(() => barrier.NWaiting == 1); // abort a wait in progress, not one still on its way
        barrier.Abort();
        await Assert.ThrowsAsync<BrokenBarrierException>(() => waiting);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AioBarrier(0, context: _context));
        Assert.Throws<ArgumentException>(() => new AioBarrier(2, (int x) => { }, context: _context));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_barrier_action_that_throws_breaks_the_barrier_and_its_party_sees_the_exception()
    {
        var barrier = new AioBarrier(2, ThrowingAction, context: _context);
        var other = barrier.WaitAsync(Bounds.Remote);
        await Conditions.UntilAsync(() => barrier.NWaiting == 1);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => barrier.WaitAsync(Bounds.Remote));
        Assert.Equal("action failed", ex.Message);
        await Assert.ThrowsAsync<BrokenBarrierException>(() => other);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_notify_wakes_a_waiter_which_then_holds_the_lock_again()
    {
        var cond = new AioCondition(context: _context);
        var waiting = new AioEvent(_context);
        var waiter = Task.Run(async () =>
        {
            await cond.AcquireAsync();
            await waiting.SetAsync();
            var notified = await cond.WaitAsync(Bounds.Remote);
            var heldAgain = !await cond.AcquireAsync(TimeSpan.Zero);
            await cond.ReleaseAsync();
            return (notified, heldAgain);
        });
        await waiting.WaitAsync(Bounds.Remote);
        Assert.True(await cond.AcquireAsync(Bounds.Remote)); // free only because the waiter's Wait released it
        await cond.NotifyAsync();
        await cond.ReleaseAsync();
        Assert.Equal((true, true), await waiter);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_condition_wait_times_out_holding_the_lock_and_refuses_without_it()
    {
        var cond = new AioCondition(new AioLock(_context));
        await Assert.ThrowsAsync<SynchronizationLockException>(() => cond.WaitAsync(Short));
        using (cond.Lock())
        {
            Assert.False(cond.Wait(Short));
            Assert.False(cond.Acquire(block: false));
            Assert.False(cond.WaitFor(() => false, Short));
            Assert.True(await cond.WaitForAsync(() => true));
        }

        Assert.True(cond.Acquire(block: false));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_cancelled_condition_wait_does_not_consume_a_notify_and_notify_all_wakes_everyone()
    {
        var cond = new AioCondition(context: _context);
        using var cts = new CancellationTokenSource();
        await cond.AcquireAsync();
        var cancelled = cond.WaitAsync(ct: cts.Token);
        await cond.AcquireAsync(Bounds.Remote);
        var kept = cond.WaitAsync(Bounds.Remote);
        await cond.AcquireAsync(Bounds.Remote);
        await cts.CancelAsync();
        await cond.NotifyAsync(1);
        await cond.ReleaseAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await cond.ReleaseAsync(); // the cancelled waiter took the lock back before throwing
        Assert.True(await kept, "the notify went to the cancelled waiter");
        await cond.ReleaseAsync();

        // Each waiter signals while it holds the lock, and gives the lock up only by waiting: once both have
        // signalled and this caller holds the lock, both wait.
        using var aboutToWait = new SemaphoreSlim(0);
        var all = new[] { Task.Run(() => WaitNotified(cond, aboutToWait)), Task.Run(() => WaitNotified(cond, aboutToWait)) };
        Assert.True(await aboutToWait.WaitAsync(Bounds.Remote) && await aboutToWait.WaitAsync(Bounds.Remote));
        await cond.AcquireAsync(Bounds.Remote);
        await cond.NotifyAllAsync();
        await cond.ReleaseAsync();
        var woken = await Task.WhenAll(all);
        Assert.Equal([true, true], woken);
    }

    private static async Task<bool> WaitNotified(AioCondition cond, SemaphoreSlim aboutToWait)
    {
        await cond.AcquireAsync(Bounds.Remote);
        aboutToWait.Release();
        var notified = await cond.WaitAsync(Bounds.Remote);
        await cond.ReleaseAsync();
        return notified;
    }

    private static void ThrowingAction() => throw new InvalidOperationException("action failed");

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
    public async Task An_event_releases_waiters_when_set_and_times_out_when_clear()
    {
        var ev = new AioEvent(_context);
        Assert.False(ev.IsSet);
        Assert.False(await ev.WaitAsync(Short));
        var waiter = ev.WaitAsync();
        ev.Set();
        Assert.True(await waiter);
        Assert.True(ev.Wait(TimeSpan.Zero));
        Assert.True(await ev.IsSetAsync());
        await ev.ClearAsync();
        Assert.False(ev.Wait(Short));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_cancelled_event_wait_throws()
    {
        var ev = new AioEvent(_context);
        using var cts = new CancellationTokenSource(Short);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ev.WaitAsync(ct: cts.Token));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_queue_is_fifo_and_reports_empty_and_full_as_python_does()
    {
        var queue = new AioQueue<string>(maxsize: 2, context: _context);
        Assert.True(queue.IsEmpty);
        queue.Put("a");
        await queue.PutAsync("b");
        Assert.True(queue.IsFull);
        Assert.Equal(2, queue.Count);
        Assert.Throws<QueueFullException>(() => queue.Put("c", block: false));
        await Assert.ThrowsAsync<QueueFullException>(() => queue.PutAsync("c", Short));
        Assert.Equal("a", queue.Get());
        Assert.Equal("b", await queue.GetAsync());
        Assert.Throws<QueueEmptyException>(() => queue.Get(block: false));
        await Assert.ThrowsAsync<QueueEmptyException>(() => queue.GetAsync(Short));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_cancelled_get_never_swallows_an_item()
    {
        var queue = new AioQueue<int>(context: _context);
        using var cts = new CancellationTokenSource();
        var getting = queue.GetAsync(ct: cts.Token);
        await Task.Delay(50);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => getting);

        await queue.PutAsync(5);
        Assert.Equal(5, await queue.GetAsync(Bounds.Remote));
    }

    [Fact]
    public void A_closed_queue_facade_refuses_puts_but_still_gets()
    {
        var queue = new AioQueue<int>(context: _context);
        queue.Put(1);
        queue.Close();
        Assert.Throws<InvalidOperationException>(() => queue.Put(2));
        Assert.Equal(1, queue.Get(timeout: Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Blocking_callers_on_256_thread_pool_threads_all_finish()
    {
        // Sync facades block pool threads; their answers arrive on dedicated threads, so none of them starves.
        var lck = new AioLock(_context);
        var done = new AioQueue<int>(context: _context);
        var callers = Enumerable.Range(0, 256).Select(i => Task.Run(() => ContendSync(lck, done, i))).ToArray();
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

    internal static void ContendSync(AioLock lck, AioQueue<int> done, int caller)
    {
        for (var i = 0; i < 10; i++)
        {
            using (lck.Lock(TimeSpan.FromSeconds(60)))
            {
            }
        }

        done.Put(caller);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_disposed_context_refuses_calls()
    {
        var context = await AioContext.StartAsync();
        var ev = new AioEvent(context);
        await context.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(ev.Set);
        Assert.Throws<ObjectDisposedException>(() => new AioLock(context));
    }
}
