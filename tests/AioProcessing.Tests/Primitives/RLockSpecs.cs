using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>AioRLock: reentrancy per thread (sync) and per async flow, owner-only release, conditions over it, processes.</summary>
public sealed class RLockSpecs : IClassFixture<ContextFixture>
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);
    private readonly AioContext _context;

    public RLockSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task Its_owning_thread_reenters_and_must_release_as_often_and_no_other_thread_gets_it()
    {
        var rlock = new AioRLock(_context);
        // Sync code owns by thread, so the whole scenario runs on one thread; the threads it starts are other owners.
        Assert.True(await OnOwnThread(() =>
        {
            Assert.True(rlock.Acquire());
            Assert.True(rlock.Acquire(block: false));
            using (rlock.Lock())
            {
                Assert.False(Run(() => rlock.Acquire(block: false)), "another thread entered a held RLock");
                Assert.Throws<SynchronizationLockException>(() => Run(() => ReleaseTrue(rlock)));
            }

            rlock.Release();
            Assert.False(Run(() => rlock.Acquire(block: false)), "the lock was free after one of two releases");
            rlock.Release();
            Assert.Throws<SynchronizationLockException>(rlock.Release);
            return Run(() => rlock.Acquire(block: false) && ReleaseTrue(rlock));
        }));

        static bool Run(Func<bool> body) => OnOwnThread(body).GetAwaiter().GetResult();
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task An_async_flow_reenters_across_awaits_and_other_flows_wait()
    {
        var rlock = new AioRLock(_context);
        await using (await rlock.LockAsync())
        {
            await Task.Yield();
            Assert.True(await rlock.AcquireAsync(TimeSpan.Zero));
            await Task.Delay(10);
            await rlock.ReleaseAsync();

            // A flow that did not start inside this hold (its execution context is not ours) is another owner.
            Task<bool> stranger;
            using (ExecutionContext.SuppressFlow())
            {
                stranger = Task.Run(() => rlock.AcquireAsync(Short));
            }

            Assert.False(await stranger);
        }

        Assert.True(await rlock.AcquireAsync(TimeSpan.Zero));
        await rlock.ReleaseAsync();
        await Assert.ThrowsAsync<SynchronizationLockException>(rlock.ReleaseAsync);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Tasks_started_inside_a_hold_take_turns_and_never_hold_it_together()
    {
        var rlock = new AioRLock(_context);
        var inside = 0;
        var most = 0;
        await using (await rlock.LockAsync())
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                await using (await rlock.LockAsync(Bounds.Remote))
                {
                    var now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref most, now);
                    await Task.Delay(20);
                    Interlocked.Decrement(ref inside);
                }
            })));
        }

        Assert.Equal(1, most);
        Assert.True(await rlock.AcquireAsync(TimeSpan.Zero), "the lock was not free after every hold was released");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Releasing_under_a_nested_hold_of_a_started_task_throws()
    {
        var rlock = new AioRLock(_context);
        await rlock.AcquireAsync();
        var childHolds = new TaskCompletionSource();
        var letGo = new TaskCompletionSource();
        var child = Task.Run(async () =>
        {
            await rlock.AcquireAsync();
            childHolds.SetResult();
            await letGo.Task;
            await rlock.ReleaseAsync();
        });
        await childHolds.Task.WaitAsync(Bounds.Remote);
        await Assert.ThrowsAsync<SynchronizationLockException>(rlock.ReleaseAsync);
        letGo.SetResult();
        await child.WaitAsync(Bounds.Remote);
        await rlock.ReleaseAsync();
        Assert.True(await rlock.AcquireAsync(TimeSpan.Zero));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_cancelled_or_timed_out_acquire_leaves_nothing_held()
    {
        var rlock = new AioRLock(_context);
        Task<bool> holder;
        var release = new TaskCompletionSource();
        using (ExecutionContext.SuppressFlow())
        {
            holder = Task.Run(async () =>
            {
                await rlock.AcquireAsync();
                await release.Task;
                await rlock.ReleaseAsync();
                return true;
            });
        }

        while (await rlock.AcquireAsync(TimeSpan.Zero))
        {
            // The holder has not taken it yet: give it back and try again.
            await rlock.ReleaseAsync();
            await Task.Delay(5);
        }

        using var cts = new CancellationTokenSource(Short);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rlock.AcquireAsync(ct: cts.Token));
        Assert.False(await rlock.AcquireAsync(Short));
        await Assert.ThrowsAsync<SynchronizationLockException>(rlock.ReleaseAsync);
        release.SetResult();
        Assert.True(await holder);
        Assert.True(await rlock.AcquireAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_condition_over_an_rlock_releases_every_level_while_waiting_and_restores_them()
    {
        var rlock = new AioRLock(_context);
        var cond = new AioCondition(rlock);
        await rlock.AcquireAsync();
        await cond.AcquireAsync();
        Task notifier;
        using (ExecutionContext.SuppressFlow())
        {
            notifier = Task.Run(async () =>
            {
                // Only possible once the waiter released both levels.
                await using (await cond.LockAsync(Bounds.Remote))
                {
                    await cond.NotifyAsync();
                }
            });
        }

        Assert.True(await cond.WaitAsync(Bounds.Remote));
        await notifier.WaitAsync(Bounds.Remote);
        await cond.ReleaseAsync();
        Task<bool> stranger;
        using (ExecutionContext.SuppressFlow())
        {
            stranger = Task.Run(() => rlock.AcquireAsync(TimeSpan.Zero));
        }

        Assert.False(await stranger, "the waiter did not hold one level after two were restored and one released");
        await rlock.ReleaseAsync();
        await Assert.ThrowsAsync<SynchronizationLockException>(() => cond.WaitAsync(Short));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_worker_holding_an_rlock_keeps_it_from_others_cannot_be_released_by_them_and_loses_it_when_killed()
    {
        var rlock = new AioRLock(_context);
        var cond = new AioCondition(rlock);
        var holding = new AioEvent(_context);
        var p = new AioProcess(_context, HoldTwiceForever, rlock, cond, holding);
        await p.StartAsync();
        Assert.True(await holding.WaitAsync(Bounds.Remote));
        Assert.False(await rlock.AcquireAsync(TimeSpan.Zero));
        await Assert.ThrowsAsync<SynchronizationLockException>(rlock.ReleaseAsync);

        var waiting = rlock.AcquireAsync(Bounds.Remote);
        p.Kill();
        Assert.True(await waiting, "the killed holder's RLock was not handed to the waiter");
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    private static void HoldTwiceForever(AioRLock rlock, AioCondition cond, AioEvent holding)
    {
        rlock.Acquire();
        cond.Acquire(); // the condition travelled with its RLock: the same owner reenters
        holding.Set();
        Thread.Sleep(TimeSpan.FromMinutes(2));
    }

    private static bool ReleaseTrue(AioRLock rlock)
    {
        rlock.Release();
        return true;
    }

    // A new thread inherits the starter's execution context, as a Python thread would not: it must still be another owner.
    private static Task<bool> OnOwnThread(Func<bool> body)
    {
        var result = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                result.SetResult(body());
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        });
        thread.Start();
        return result.Task.WaitAsync(Bounds.Remote);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }
}
