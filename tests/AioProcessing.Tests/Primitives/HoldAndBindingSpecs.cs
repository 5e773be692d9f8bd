using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>
/// Fencing tokens on held locks and permits, handles that never throw on disposal, calls on a disposed context, and
/// named typed primitives bound as another type: across a coordinator and a process joined to it.
/// </summary>
public sealed class HoldAndBindingSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task A_holder_that_lost_its_hold_is_fenced_off_by_the_larger_token_of_the_next_holder()
    {
        await using var coordinator = await AioContext.StartAsync();
        var store = new FencedStore();

        // A joined process holds the lock, then loses its hold (its context goes away while it holds).
        var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret);
        var stale = await new AioLock("fenced", joined).LockAsync(Bounds.Remote);
        Assert.True(store.TryWrite(stale.FencingToken, "first"));
        await joined.DisposeAsync();
        Assert.True(stale.HoldLost.IsCancellationRequested);

        // The next holder writes with a larger token; the one that lost its hold is refused when it wakes up.
        await using (var next = await new AioLock("fenced", coordinator).LockAsync(Bounds.Remote))
        {
            Assert.True(next.FencingToken > stale.FencingToken, $"next {next.FencingToken}, stale {stale.FencingToken}");
            Assert.True(store.TryWrite(next.FencingToken, "second"));
            Assert.False(store.TryWrite(stale.FencingToken, "late write of a holder that froze"));
        }

        Assert.Equal("second", store.Value);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Semaphore_permits_get_distinct_growing_tokens_and_nested_rlock_holds_share_the_outermost_token()
    {
        await using var context = await AioContext.StartAsync();
        var sem = new AioSemaphore(2, context);
        var a = await sem.LockAsync(Bounds.Remote);
        var b = await sem.LockAsync(Bounds.Remote);
        Assert.True(b.FencingToken > a.FencingToken && a.FencingToken >= 1, $"{a.FencingToken}, {b.FencingToken}");
        await a.DisposeAsync();
        await using (var c = await sem.LockAsync(Bounds.Remote))
        {
            Assert.True(c.FencingToken > b.FencingToken);
        }

        await b.DisposeAsync();

        var rlock = new AioRLock(context);
        await using var outer = await rlock.LockAsync(Bounds.Remote);
        await using (var inner = await rlock.LockAsync(Bounds.Remote))
        {
            Assert.Equal(outer.FencingToken, inner.FencingToken);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Disposing_a_handle_after_its_context_is_gone_does_not_throw_nor_hide_the_exception_in_flight()
    {
        await using var coordinator = await AioContext.StartAsync();
        var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret);
        var lck = new AioLock("held-at-dispose", joined);

        var inFlight = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            using (lck.Lock(Bounds.Remote))
            {
                await joined.DisposeAsync();
                throw new InvalidDataException("the work under the lock failed");
            }
        });
        Assert.Equal("the work under the lock failed", inFlight.Message);

        var handle = await new AioLock("held-at-dispose-async", coordinator).LockAsync(Bounds.Remote);
        await coordinator.DisposeAsync();
        await handle.DisposeAsync();
        handle.Dispose();
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_put_or_get_on_a_disposed_context_throws_object_disposed_and_keeps_nothing()
    {
        await using var coordinator = await AioContext.StartAsync();
        var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret);
        var queue = new AioQueue<int>("after-dispose", context: joined);
        queue.Put(1);
        queue.Flush();
        await joined.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => queue.Put(2));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queue.PutAsync(3));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queue.GetAsync(Bounds.Remote));
        var found = new AioQueue<int>("after-dispose", context: coordinator);
        Assert.Equal(1, await found.GetAsync(Bounds.Remote));
        Assert.Equal(0, await found.CountAsync());
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Binding_a_named_queue_or_manager_object_as_another_type_is_refused_naming_both_types()
    {
        await using var coordinator = await AioContext.StartAsync();
        await using var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret);
        var ints = new AioQueue<int>("typed", context: coordinator);
        ints.Put(7);

        var ex = Assert.Throws<ArgumentException>(() => new AioQueue<string>("typed", context: joined));
        Assert.Contains("already belongs to a Queue of System.Int32, not of System.String", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new AioSimpleQueue<int>("typed", joined));

        // The same type binds, and the item is intact.
        Assert.Equal(7, await new AioQueue<int>("typed", context: joined).GetAsync(Bounds.Remote));

        using var manager = new AioManager(coordinator);
        manager.Dict<string, int>(name: "scores")["a"] = 1;
        var dict = Assert.Throws<ArgumentException>(() => manager.Dict<string, string>(name: "scores"));
        Assert.Contains("AioDict<System.String, System.Int32>", dict.Message, StringComparison.Ordinal);
        Assert.Equal(1, manager.Dict<string, int>(name: "scores")["a"]);
    }

    /// <summary>A resource that remembers the highest fencing token it has seen and refuses writes with a lower one.</summary>
    private sealed class FencedStore
    {
        private long _highest;

        public string? Value { get; private set; }

        public bool TryWrite(long token, string value)
        {
            if (token < _highest)
            {
                return false;
            }

            _highest = token;
            Value = value;
            return true;
        }
    }
}
