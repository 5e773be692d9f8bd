using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>Real worker processes over real Akka.Remote on loopback.</summary>
public sealed class ProcessSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public ProcessSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_started_process_runs_in_another_os_process_and_joins_with_exit_code_zero()
    {
        var pids = new AioQueue<int>(context: _context);
        var p = new AioProcess(_context, ReportPid, pids) { Name = "reporter" };
        Assert.False(p.IsAlive);
        Assert.Null(p.ExitCode);
        Assert.Null(p.Pid);

        await p.StartAsync();
        Assert.NotNull(p.Pid);
        Assert.Equal(p.Pid, await pids.GetAsync(Bounds.Remote));
        Assert.NotEqual(Environment.ProcessId, p.Pid);
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.False(p.IsAlive);
        Assert.Equal(0, p.ExitCode);
        Assert.Null(p.Exception);
        Assert.Equal("reporter", p.Name);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_target_that_throws_exits_with_1_and_its_exception_reaches_the_parent()
    {
        var p = new AioProcess(_context, Throw, "bad input 17");
        p.Start();
        Assert.True(p.Join(Bounds.Remote));
        Assert.Equal(1, p.ExitCode);
        Assert.NotNull(p.Exception);
        Assert.Equal(typeof(InvalidOperationException).FullName, p.Exception!.RemoteType);
        Assert.Equal("bad input 17", p.Exception.Message);
        Assert.Contains(nameof(Throw), p.Exception.RemoteStackTrace, StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Kill_ends_the_process_with_minus_9_and_terminate_with_minus_15()
    {
        var killed = new AioProcess(_context, SleepLong);
        var terminated = new AioProcess(_context, SleepLong);
        await Task.WhenAll(killed.StartAsync(), terminated.StartAsync());
        Assert.False(await killed.JoinAsync(TimeSpan.FromMilliseconds(200)));
        Assert.True(killed.IsAlive);

        killed.Kill();
        terminated.Terminate();
        Assert.True(await killed.JoinAsync(Bounds.Remote));
        Assert.True(await terminated.JoinAsync(Bounds.Remote));
        Assert.Equal(-9, killed.ExitCode);
        Assert.Equal(-15, terminated.ExitCode);
        Assert.False(OsProcesses.Exists(killed.Pid!.Value));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_lock_and_a_permit_held_by_a_killed_worker_are_given_back()
    {
        var lck = new AioLock(_context);
        var sem = new AioBoundedSemaphore(1, _context);
        var holding = new AioEvent(_context);
        var p = new AioProcess(_context, HoldForever, lck, sem, holding);
        await p.StartAsync();
        Assert.True(await holding.WaitAsync(Bounds.Remote));
        Assert.False(await lck.AcquireAsync(TimeSpan.Zero));
        Assert.False(await sem.AcquireAsync(TimeSpan.Zero));

        var waiting = lck.AcquireAsync(Bounds.Remote);
        p.Kill();
        Assert.True(await waiting, "the killed holder's lock was not handed to the waiter");
        Assert.True(await sem.AcquireAsync(Bounds.Remote), "the killed holder's permit was not returned");
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(-9, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_semaphore_passed_to_a_child_bounds_it()
    {
        var sem = new AioBoundedSemaphore(1, _context);
        var results = new AioQueue<bool>(context: _context);
        await sem.AcquireAsync();
        var p = new AioProcess(_context, TryAcquireTwice, sem, results);
        await p.StartAsync();
        Assert.False(await results.GetAsync(Bounds.Remote));
        await sem.ReleaseAsync();
        Assert.True(await results.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_barrier_synchronises_the_parent_and_two_children_and_its_action_runs_once()
    {
        var runs = new AioQueue<int>(context: _context);
        var indices = new AioQueue<int>(context: _context);
        var barrier = new AioBarrier(3, () => runs.Put(Environment.ProcessId), context: _context);
        var children = new[] { new AioProcess(_context, WaitAtBarrier, barrier, indices), new AioProcess(_context, WaitAtBarrier, barrier, indices) };
        await Task.WhenAll(children.Select(c => c.StartAsync()));
        var mine = await barrier.WaitAsync(Bounds.Remote);
        var all = new[] { mine, await indices.GetAsync(Bounds.Remote), await indices.GetAsync(Bounds.Remote) };
        Assert.Equal([0, 1, 2], all.Order());
        Assert.Equal(1, await runs.CountAsync());
        foreach (var child in children)
        {
            Assert.True(await child.JoinAsync(Bounds.Remote));
            Assert.Equal(0, child.ExitCode);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_child_waiting_on_a_condition_is_woken_by_the_parent()
    {
        var cond = new AioCondition(context: _context);
        var ready = new AioEvent(_context);
        var p = new AioProcess(_context, WaitOnCondition, cond, ready);
        await p.StartAsync();
        Assert.True(await ready.WaitAsync(Bounds.Remote));
        Assert.True(await cond.AcquireAsync(Bounds.Remote));
        await cond.NotifyAsync();
        await cond.ReleaseAsync();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_lambda_capturing_a_local_runs_in_the_child_with_its_value()
    {
        var context = _context;
        var results = new AioQueue<string>(context: context);
        var factor = 7;
        var label = "times seven";
        var p = new AioProcess(context, (int x) => results.Put($"{label}: {x * factor} in {Environment.ProcessId}"), 6);
        await p.StartAsync();
        Assert.Equal($"times seven: 42 in {p.Pid}", await results.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Arguments_and_items_over_1_MB_cross_the_process_boundary_intact()
    {
        var data = new byte[3_000_000];
        new Random(42).NextBytes(data);
        var back = new AioQueue<byte[]>(context: _context);
        var p = new AioProcess(_context, Echo, data, back);
        await p.StartAsync();
        var echoed = await back.GetAsync(Bounds.Remote);
        Assert.Equal(data, echoed);
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_child_waits_for_the_foreground_threads_its_target_started_and_join_waits_with_it()
    {
        // As Python's child waits for its non-daemon threads: the target returns at once, the thread's work is done
        // before the process ends, and Join returns only after it.
        var done = new AioQueue<string>(context: _context);
        var p = new AioProcess(_context, StartForegroundThread, done);
        await p.StartAsync();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(1, await done.CountAsync());
        Assert.Equal("the thread finished", await done.GetAsync(TimeSpan.Zero));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task The_seed_example_coordinates_through_a_lock_an_event_and_a_queue()
    {
        var queue = new AioQueue<int?>(context: _context);
        var ev = new AioEvent(_context);
        var lck = new AioLock(_context);
        var p = new AioProcess(_context, Seed, queue, ev, lck, new[] { 1, 2, 3, 4, 5 });
        await p.StartAsync();

        var putter = Task.Run(async () =>
        {
            Assert.True(await ev.WaitAsync(Bounds.Remote));
            await using (await lck.LockAsync(Bounds.Remote))
            {
                await queue.PutAsync(78);
                await queue.PutAsync(null);
            }
        });
        var got = new List<int>();
        while (await queue.GetAsync(Bounds.Remote) is int value)
        {
            got.Add(value);
        }

        await putter;
        Assert.Equal([6, 7, 8, 9, 10, 78], got);
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Items_put_before_a_lock_release_or_an_event_set_are_in_the_queue_for_whoever_sees_it()
    {
        // Puts are written behind; a release or a set that overtook them would let the other side look too early
        // (the seed example above once got 78 ahead of 9 and 10 this way).
        const int count = 5000;
        var underLock = new AioQueue<int>(context: _context);
        var beforeSet = new AioQueue<int>(context: _context);
        var started = new AioEvent(_context);
        var done = new AioEvent(_context);
        var lck = new AioLock(_context);
        var p = new AioProcess(_context, PutThenPublish, underLock, beforeSet, started, done, lck, count);
        await p.StartAsync();

        Assert.True(await started.WaitAsync(Bounds.Remote));
        await using (await lck.LockAsync(Bounds.Remote))
        {
            Assert.Equal(count, await underLock.CountAsync());
        }

        Assert.True(await done.WaitAsync(Bounds.Remote));
        Assert.Equal(count, await beforeSet.CountAsync());
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_primitive_created_in_a_child_lives_in_the_coordinator_and_works_from_the_parent()
    {
        var handOver = new AioQueue<AioQueue<string>>(context: _context);
        var p = new AioProcess(_context, CreateQueueInChild, handOver);
        await p.StartAsync();
        var made = await handOver.GetAsync(Bounds.Remote);
        Assert.Equal("made in the child", await made.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_child_can_start_and_join_a_grandchild_that_uses_the_same_coordinator()
    {
        var pids = new AioQueue<int>(context: _context);
        var p = new AioProcess(_context, StartGrandchild, pids);
        await p.StartAsync();
        var grandchild = await pids.GetAsync(Bounds.Remote);
        var child = await pids.GetAsync(Bounds.Remote);
        Assert.Equal(p.Pid, child);
        Assert.NotEqual(child, grandchild);
        Assert.NotEqual(Environment.ProcessId, grandchild);
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Blocking_callers_on_256_thread_pool_threads_of_a_worker_all_finish()
    {
        var lck = new AioLock(_context);
        var done = new AioQueue<int>(context: _context);
        var p = new AioProcess(_context, ContendFromPool, lck, done);
        await p.StartAsync();
        Assert.True(await p.JoinAsync(TimeSpan.FromSeconds(90)));
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(256, await done.CountAsync());
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task An_async_target_is_awaited_before_the_process_exits()
    {
        var done = new AioEvent(_context);
        var p = new AioProcess(_context, SetAfterDelayAsync, done);
        await p.StartAsync();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
        Assert.True(done.IsSet);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Join_times_out_with_false_and_cancellation_throws_while_the_process_runs()
    {
        var gate = new AioEvent(_context);
        var p = new AioProcess(_context, WaitFor, gate);
        Assert.Throws<InvalidOperationException>(() => p.Join(TimeSpan.Zero));
        await p.StartAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => p.StartAsync());
        Assert.False(p.Join(TimeSpan.FromMilliseconds(100)));
        using var cts = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.JoinAsync(ct: cts.Token));
        Assert.True(p.IsAlive);
        await gate.SetAsync();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    private static void WaitOnCondition(AioCondition cond, AioEvent ready)
    {
        using (cond.Lock())
        {
            ready.Set();
            if (!cond.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("never notified");
            }
        }
    }

    private static void WaitAtBarrier(AioBarrier barrier, AioQueue<int> indices) => indices.Put(barrier.Wait(TimeSpan.FromSeconds(30)));

    private static void HoldForever(AioLock lck, AioBoundedSemaphore sem, AioEvent holding)
    {
        lck.Acquire();
        sem.Acquire();
        holding.Set();
        Thread.Sleep(TimeSpan.FromMinutes(2));
    }

    private static void TryAcquireTwice(AioBoundedSemaphore sem, AioQueue<bool> results)
    {
        results.Put(sem.Acquire(block: false));
        results.Put(sem.Acquire(timeout: TimeSpan.FromSeconds(30)));
        sem.Release();
    }

    private static void ReportPid(AioQueue<int> pids) => pids.Put(Environment.ProcessId);

    private static void ContendFromPool(AioLock lck, AioQueue<int> done)
    {
        var callers = Enumerable.Range(0, 256).Select(i => Task.Run(() => LockContention.ContendSync(lck, done, i))).ToArray();
        if (!Task.WaitAll(callers, TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("the blocking callers did not finish within 60 s");
        }
    }

    private static void StartGrandchild(AioQueue<int> pids)
    {
        var grandchild = new AioProcess(ReportPid, pids);
        grandchild.Start();
        if (!grandchild.Join(TimeSpan.FromSeconds(60)) || grandchild.ExitCode != 0)
        {
            throw new InvalidOperationException($"the grandchild ended with {grandchild.ExitCode}: {grandchild.Exception}");
        }

        pids.Put(Environment.ProcessId);
    }

    private static void Throw(string message) => throw new InvalidOperationException(message);

    private static void SleepLong() => Thread.Sleep(TimeSpan.FromMinutes(2));

    private static void Echo(byte[] data, AioQueue<byte[]> back) => back.Put(data);

    private static void WaitFor(AioEvent gate) => gate.Wait(TimeSpan.FromMinutes(1));

    private static async Task SetAfterDelayAsync(AioEvent done)
    {
        await Task.Delay(300);
        await done.SetAsync();
    }

    private static void CreateQueueInChild(AioQueue<AioQueue<string>> handOver)
    {
        var made = new AioQueue<string>();
        made.Put("made in the child");
        handOver.Put(made);
    }

    private static void PutThenPublish(AioQueue<int> underLock, AioQueue<int> beforeSet, AioEvent started, AioEvent done, AioLock lck, int count)
    {
        using (lck.Lock(Bounds.Remote))
        {
            started.Set();
            for (var i = 0; i < count; i++)
            {
                underLock.Put(i);
            }
        }

        for (var i = 0; i < count; i++)
        {
            beforeSet.Put(i);
        }

        done.Set();
    }

    private static void Seed(AioQueue<int?> queue, AioEvent ev, AioLock lck, int[] items)
    {
        using (lck.Lock())
        {
            ev.Set();
            foreach (var item in items)
            {
                Thread.Sleep(50);
                queue.Put(item + 5);
            }
        }

        queue.Close();
    }

    private static void StartForegroundThread(AioQueue<string> done) =>
        new Thread(() =>
        {
            Thread.Sleep(300);
            done.Put("the thread finished");
        }).Start();
}
