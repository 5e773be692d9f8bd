using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Ported;

/// <summary>
/// aioprocessing's own <c>tests/lock_tests.py</c>, case by case (the Python test's name is in each spec's name),
/// against real worker processes. Where aioprocessing's expectation comes from its thread-executor design rather
/// than from multiprocessing's semantics, the comment says what AioProcessing checks instead.
/// </summary>
public sealed class AioprocessingLockTests : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public AioprocessingLockTests(ContextFixture fixture) => _context = fixture.Context;

    public static TheoryData<string> LockKinds => new() { "Lock", "RLock" };

    [Fact]
    public void LockTest_test_lock()
    {
        var lck = new AioLock(_context);
        Assert.True(lck.Acquire());
        Assert.False(lck.Acquire(false));
        lck.Release();
    }

    [Theory(Timeout = Bounds.Spec)]
    [MemberData(nameof(LockKinds))]
    public async Task LockTest_test_lock_async(string kind) => Assert.True(await NewLock(kind).AcquireAsync());

    [Theory(Timeout = Bounds.Spec)]
    [MemberData(nameof(LockKinds))]
    public async Task LockTest_test_lock_cm(string kind)
    {
        var lck = NewLock(kind);
        var held = new AioEvent(_context);
        var childTried = new AioEvent(_context);
        var p = kind == "Lock"
            ? new AioProcess(_context, TryThenWaitForLock<AioLock>, (AioLock)lck, held, childTried)
            : new AioProcess(_context, TryThenWaitForLock<AioRLock>, (AioRLock)lck, held, childTried);
        await p.StartAsync();
        await using (await lck.LockAsync())
        {
            await held.SetAsync();
            Assert.True(await childTried.WaitAsync(Bounds.Remote));
        }

        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    // aioprocessing raises because its coroutine releases on another executor thread. Here a plain lock may be
    // released by anyone (multiprocessing.Lock); an RLock taken by a thread may only be released by that thread.
    [Fact(Timeout = Bounds.Spec)]
    public async Task LockTest_test_lock_consistency()
    {
        var rlock = new AioRLock(_context);
        var acquired = new TaskCompletionSource();
        var done = new TaskCompletionSource();
        var owner = new Thread(() =>
        {
            rlock.Acquire();
            acquired.SetResult();
            done.Task.Wait();
            rlock.Release();
        });
        owner.Start();
        await acquired.Task.WaitAsync(Bounds.Remote);
        await Assert.ThrowsAsync<SynchronizationLockException>(() => FromForeignFlow(rlock.ReleaseAsync));

        done.SetResult();
        Assert.True(owner.Join(Bounds.Remote));

        var lck = new AioLock(_context);
        lck.Acquire();
        await Task.Run(lck.ReleaseAsync);
        Assert.True(lck.Acquire(false));
    }

    [Theory(Timeout = Bounds.Spec)]
    [MemberData(nameof(LockKinds))]
    public async Task LockTest_test_lock_multiproc(string kind)
    {
        var lck = NewLock(kind);
        var e = new AioEvent(_context);
        var tried = new AioEvent(_context);
        var p = kind == "Lock"
            ? new AioProcess(_context, DoLockAcquire<AioLock>, (AioLock)lck, e, tried)
            : new AioProcess(_context, DoLockAcquire<AioRLock>, (AioRLock)lck, e, tried);
        await p.StartAsync();
        Assert.True(await e.WaitAsync(Bounds.Remote));
        Assert.False(await lck.AcquireAsync(TimeSpan.Zero));
        await tried.SetAsync();
        Assert.True(await lck.AcquireAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task LockMixingTest_test_mix_sync_to_async()
    {
        var rlock = new AioRLock(_context);
        using var ownerThread = new SingleThread();
        await ownerThread.Run(() => rlock.Acquire());
        await Assert.ThrowsAsync<SynchronizationLockException>(() => FromForeignFlow(rlock.ReleaseAsync));

        // aioprocessing's choose_thread=True: released by the thread that holds it.
        await ownerThread.Run(() => rlock.ReleaseAsync().Wait());
        Assert.True(await rlock.AcquireAsync(TimeSpan.Zero));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task LockMixingTest_test_mix_async_to_sync()
    {
        var rlock = new AioRLock(_context);
        Assert.True(await rlock.AcquireAsync());
        await Assert.ThrowsAsync<SynchronizationLockException>(() => FromForeignFlow(() => Task.Run(rlock.Release)));
        await rlock.ReleaseAsync();
        Assert.Throws<SynchronizationLockException>(rlock.Release);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task LockMixingTest_test_mix_with_procs()
    {
        var rlock = new AioRLock(_context);
        var q = new AioQueue<string>(context: _context);
        Assert.True(await rlock.AcquireAsync());
        var p = new AioProcess(_context, MixRelease, rlock, q);
        await p.StartAsync();
        Assert.Equal("release refused", await q.GetAsync(Bounds.Remote));
        await rlock.ReleaseAsync();
        Assert.Equal("acquired after the parent released", await q.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Theory(Timeout = Bounds.Spec)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SemaphoreTest_test_semaphore(bool bounded)
    {
        AioSemaphore sem = bounded ? new AioBoundedSemaphore(2, _context) : new AioSemaphore(2, _context);
        Assert.Equal(2, sem.Value);
        Assert.True(sem.Acquire());
        Assert.Equal(1, sem.Value);
        Assert.True(await sem.AcquireAsync());
        Assert.Equal(0, sem.Value);
        Assert.False(sem.Acquire(false));
        Assert.Equal(0, sem.Value);
        sem.Release();
        Assert.Equal(1, sem.Value);
        sem.Release();
        Assert.Equal(2, sem.Value);
        if (bounded)
        {
            Assert.Throws<SemaphoreFullException>(sem.Release);
            Assert.Equal(2, sem.Value);
        }
        else
        {
            sem.Release();
            Assert.Equal(3, sem.Value);
            sem.Release();
            Assert.Equal(4, sem.Value);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task BarrierTest_test_barrier()
    {
        var barrier = new AioBarrier(2, context: _context);
        var first = barrier.WaitAsync(Bounds.Remote);
        await Conditions.UntilAsync(() => barrier.NWaiting == 1);
        Assert.Equal(1, barrier.NWaiting);
        var second = await Task.Run(() => barrier.Wait(Bounds.Remote));
        Assert.Equal(new[] { 0, 1 }, new[] { await first, second }.Order());
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task BarrierTest_test_barrier_multiproc()
    {
        var barrier = new AioBarrier(2, context: _context);
        var e = new AioEvent(_context);
        var p = new AioProcess(_context, BarrierWait, barrier, e);
        await p.StartAsync();
        Assert.True(await e.WaitAsync(Bounds.Remote));
        await Conditions.UntilAsync(() => barrier.NWaiting == 1);
        Assert.Equal(1, barrier.NWaiting);
        await barrier.WaitAsync(Bounds.Remote);
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task EventTest_test_event()
    {
        var ev = new AioEvent(_context);
        var p = new AioProcess(_context, SetEvent, ev);
        await p.StartAsync();
        Assert.True(await ev.WaitAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task ConditionTest_test_cond()
    {
        var cond = new AioCondition(context: _context);
        var ev = new AioEvent(_context);
        // Held before the child starts, and given up only by waiting: the child sets the event under the lock, so
        // the predicate is false at first and the wait really waits (Python's test sleeps 0.5 s for that).
        await cond.AcquireAsync();
        var p = new AioProcess(_context, CondNotify, cond, ev);
        await p.StartAsync();
        Assert.True(await cond.WaitForAsync(() => ev.IsSet, Bounds.Remote));
        await cond.ReleaseAsync();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    // Runs on the pool without this flow's execution context: another owner.
    private static Task FromForeignFlow(Func<Task> call)
    {
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(call);
        }
    }

    private AioAcquirable NewLock(string kind) => kind == "Lock" ? new AioLock(_context) : new AioRLock(_context);

    // Python's test holds the lock for 0.5 s and hopes the parent tries within it; this holds it until the parent
    // has tried.
    private static void DoLockAcquire<TLock>(TLock lck, AioEvent e, AioEvent tried)
        where TLock : AioAcquirable
    {
        lck.Acquire();
        e.Set();
        if (!tried.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("the parent never tried the lock");
        }

        lck.Release();
    }

    private static void TryThenWaitForLock<TLock>(TLock lck, AioEvent held, AioEvent tried)
        where TLock : AioAcquirable
    {
        if (!held.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("the parent never took the lock");
        }

        if (lck.Acquire(false))
        {
            throw new InvalidOperationException("took a lock the parent holds");
        }

        tried.Set();
        if (!lck.Acquire(timeout: TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("the parent never released");
        }

        lck.Release();
    }

    private static void MixRelease(AioRLock rlock, AioQueue<string> q)
    {
        try
        {
            rlock.Release();
            q.Put("release did not throw");
            return;
        }
        catch (SynchronizationLockException)
        {
            q.Put("release refused");
        }

        if (rlock.Acquire(timeout: TimeSpan.FromSeconds(30)))
        {
            rlock.Release();
            q.Put("acquired after the parent released");
        }
    }

    private static void BarrierWait(AioBarrier barrier, AioEvent e)
    {
        e.Set();
        barrier.Wait(TimeSpan.FromSeconds(30));
    }

    private static void SetEvent(AioEvent ev) => ev.Set();

    private static void CondNotify(AioCondition cond, AioEvent ev)
    {
        if (!cond.Acquire(timeout: TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("the parent never waited");
        }

        ev.Set();
        cond.NotifyAll();
        cond.Release();
    }

    /// <summary>One dedicated thread that runs what it is given, in order (an owner for sync-code holds).</summary>
    private sealed class SingleThread : IDisposable
    {
        private readonly System.Collections.Concurrent.BlockingCollection<Action> _work = [];

        public SingleThread()
        {
            var thread = new Thread(() =>
            {
                foreach (var item in _work.GetConsumingEnumerable())
                {
                    item();
                }
            })
            { IsBackground = true };
            thread.Start();
        }

        public Task Run(Action action)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _work.Add(() =>
            {
                try
                {
                    action();
                    done.SetResult();
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            });
            return done.Task.WaitAsync(Bounds.Remote);
        }

        public void Dispose() => _work.CompleteAdding();
    }
}
