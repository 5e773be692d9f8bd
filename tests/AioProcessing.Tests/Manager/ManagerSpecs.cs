using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Manager;

/// <summary>AioManager's shared containers: named lookup, disposal (atomicity across processes: MultiNode/MultiNodeSpecs).</summary>
public sealed class ManagerSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public ManagerSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task Containers_behave_as_their_python_counterparts_with_atomic_compound_operations()
    {
        await using var manager = new AioManager(_context);
        var dict = manager.Dict<string, int>();
        Assert.Equal(1, dict.GetOrAdd("a", 1));
        Assert.Equal(1, dict.GetOrAdd("a", 2));
        Assert.False(dict.TryUpdate("a", 5, 9));
        Assert.True(dict.TryUpdate("a", 5, 1));
        Assert.Equal(6, dict.AddOrUpdate("a", 0, (_, v) => v + 1));
        Assert.Throws<KeyNotFoundException>(() => dict["missing"]);
        Assert.True(dict.Remove("a"));
        Assert.False(dict.ContainsKey("a"));

        var list = manager.List(new[] { 1, 2, 3 });
        list.Add(4);
        list.Insert(0, 0);
        Assert.Equal(4, list.Pop());
        Assert.Equal(3, list[-1]);
        Assert.Equal([0, 1, 2, 3], list.Snapshot());
        Assert.Throws<ArgumentOutOfRangeException>(() => list[10]);

        var array = manager.Array(1.5, 2.5);
        array[1] = 4.0;
        Assert.Equal(2, array.Length);
        Assert.Equal([1.5, 4.0], array.ToArray());

        var value = manager.Value("x");
        Assert.Equal("x", value.CompareExchange("y", "x"));
        Assert.Equal("y", value.CompareExchange("z", "x"));
        Assert.Equal("y", value.Value);

        dynamic ns = manager.Namespace();
        ns.Total = 3;
        ns.Name = "run";
        int total = ns.Total;
        Assert.Equal(3, total);
        Assert.Equal("run", ((AioNamespace)ns).Get<string>("Name"));
        Assert.Equal(3L, ((AioNamespace)ns).Get<long>("Total"));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_named_container_is_found_from_an_independently_joined_process()
    {
        await using var coordinator = await AioContext.StartAsync();
        await using var mine = new AioManager(coordinator);
        mine.Dict<string, int>("settings")["retries"] = 3;
        await using var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret);
        await using var theirs = new AioManager(joined);
        var found = theirs.Dict<string, int>("settings");
        Assert.Equal(3, found["retries"]);
        found.AddOrUpdate("retries", 0, (_, v) => v * 2);
        Assert.Equal(6, mine.Dict<string, int>("settings")["retries"]);
        Assert.Throws<ArgumentException>(() => theirs.List<int>(name: "settings"));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Every_container_member_that_asks_the_coordinator_has_an_async_twin_that_does_the_same()
    {
        await using var manager = new AioManager(_context);
        var dict = manager.Dict<string, int>();
        await dict.SetAsync("a", 1);
        Assert.True(await dict.ContainsKeyAsync("a"));
        Assert.False(await dict.ContainsKeyAsync("b"));
        Assert.Equal((true, 1), await dict.TryGetValueAsync("a"));
        Assert.Equal((false, 0), await dict.TryGetValueAsync("b"));
        await dict.ClearAsync();
        Assert.Equal(0, await dict.CountAsync());

        var list = manager.List(new[] { 1 });
        await list.AddRangeAsync([2, 3]);
        await list.InsertAsync(0, 0);
        Assert.Equal(3, await list.PopAsync());
        Assert.Equal(0, await list.PopAsync(0));
        Assert.Equal(new[] { 1, 2 }, await list.SnapshotAsync());
        await list.ClearAsync();
        Assert.Equal(0, await list.CountAsync());

        var array = manager.Array(5, 6);
        array[1] = 7;
        Assert.Equal(new[] { 5, 7 }, await array.ToArrayAsync());

        var ns = manager.Namespace();
        await ns.SetAsync("retries", 3);
        Assert.Equal(3L, await ns.GetAsync<long>("retries"));
        Assert.Equal(3, Assert.Single(await ns.SnapshotAsync()).Value is IConvertible c ? c.ToInt32(null) : -1);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => ns.GetAsync<int>("missing"));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Disposing_the_manager_makes_every_use_throw_and_ends_waits_in_progress_anywhere()
    {
        var manager = new AioManager(_context);
        var dict = manager.Dict<string, int>();
        var lck = manager.Lock();
        var ready = new AioEvent(_context);
        var outcome = new AioQueue<string>(context: _context);
        await lck.AcquireAsync();
        var waiting = new AioProcess(_context, WaitForLock, lck, ready, outcome);
        await waiting.StartAsync();
        // The child sets ready only once its acquire waits at the lock (see WaitForLock).
        Assert.True(await ready.WaitAsync(Bounds.Remote));

        await manager.DisposeAsync();
        Assert.Equal(nameof(ObjectDisposedException), await outcome.GetAsync(Bounds.Remote));
        Assert.Throws<ObjectDisposedException>(() => dict["a"] = 1);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => lck.AcquireAsync(TimeSpan.Zero));
        Assert.Throws<ObjectDisposedException>(() => manager.Dict<int, int>());
        Assert.True(await waiting.JoinAsync(Bounds.Remote));
    }

    private static void WaitForLock(AioLock lck, AioEvent ready, AioQueue<string> outcome)
    {
        var acquiring = lck.AcquireAsync(TimeSpan.FromSeconds(60));
        try
        {
            // One process's requests reach the lock in order: once this try is answered, the acquire above waits
            // there, and the parent may end it.
            if (!lck.Acquire(block: false))
            {
                ready.Set();
            }

            acquiring.GetAwaiter().GetResult();
            outcome.Put("acquired");
        }
        catch (ObjectDisposedException)
        {
            outcome.Put(nameof(ObjectDisposedException));
        }
    }
}
