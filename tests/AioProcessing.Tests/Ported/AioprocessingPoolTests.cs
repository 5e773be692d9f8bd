using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Ported;

/// <summary>aioprocessing's own <c>tests/pool_test.py</c>, case by case, against real worker processes.</summary>
public sealed class AioprocessingPoolTests : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public AioprocessingPoolTests(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task PoolTest_test_ctx_mgr()
    {
        AioPool pool;
        await using (pool = new AioPool(2, context: _context))
        {
            Assert.Equal([3], await pool.MapAsync(MapFunc, [1]));
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => pool.MapAsync(MapFunc, [1]));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task PoolTest_test_coro_apply()
    {
        await using var pool = new AioPool(2, context: _context);
        Assert.Equal(6, await pool.ApplyAsync<int>(WorkFunc, [2, 3]));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task PoolTest_test_coro_map()
    {
        await using var pool = new AioPool(2, context: _context);
        int[] it = [0, 1, 2, 3, 4];
        Assert.Equal(it.Select(MapFunc), await pool.MapAsync(MapFunc, it));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task PoolTest_test_coro_starmap()
    {
        await using var pool = new AioPool(2, context: _context);
        var it = Enumerable.Range(0, 5).Zip(Enumerable.Range(5, 5)).ToArray();
        Assert.Equal(it.Select(p => WorkFunc(p.First, p.Second)), await pool.StarMapAsync<int, int, int>(WorkFunc, it));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task PoolTest_test_coro_join()
    {
        var pool = new AioPool(2, context: _context);
        Assert.Equal(6, pool.Apply<int>(WorkFunc, 2, 3));
        await pool.CloseAsync();
        Assert.True(await pool.JoinAsync(Bounds.Remote));
    }

    private static int WorkFunc(int a, int b) => a * b;

    private static int MapFunc(int z) => z * 3;
}
