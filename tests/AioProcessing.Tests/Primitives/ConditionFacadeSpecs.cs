using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>AioCondition's sync and async members: notify, timeouts and cancellation, in the coordinator's own process.</summary>
[Collection(FacadeCollection.Name)]
public sealed class ConditionFacadeSpecs
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);
    private readonly AioContext _context;

    public ConditionFacadeSpecs(ContextFixture fixture) => _context = fixture.Context;

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
}
