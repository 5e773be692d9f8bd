using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>
/// AioBarrier's sync and async members: indices, the action, timeouts, abort and reset, in the coordinator's own
/// process.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class BarrierFacadeSpecs
{
    private readonly AioContext _context;

    public BarrierFacadeSpecs(ContextFixture fixture) => _context = fixture.Context;

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
    public async Task A_blocking_last_party_runs_the_action_on_its_own_thread_and_the_action_may_block()
    {
        var threads = new AioQueue<int>(context: _context);
        var barrier = ReportingItsThread(threads, _context);
        var first = barrier.WaitAsync(Bounds.Remote);
        await Conditions.UntilAsync(() => barrier.NWaiting == 1);

        var caller = new TaskCompletionSource<(int Thread, int Index)>();
        var last = new Thread(() => caller.SetResult((Environment.CurrentManagedThreadId, barrier.Wait(Bounds.Remote)))) { IsBackground = true };
        last.Start();
        var (thread, index) = await caller.Task;

        Assert.Equal([0, 1], new[] { await first, index }.Order());
        Assert.Equal(thread, await threads.GetAsync(Bounds.Remote));
    }

    // A closure of its own: the action is sent as a call, so it must capture nothing but the queue.
    private static AioBarrier ReportingItsThread(AioQueue<int> threads, AioContext context) =>
        new(2, () => threads.Put(Environment.CurrentManagedThreadId), context: context);

    private static void ThrowingAction() => throw new InvalidOperationException("action failed");
}
