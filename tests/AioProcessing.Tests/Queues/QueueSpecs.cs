using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Queues;

/// <summary>Queues beyond the ported cases: the whole API, completion, joinable tasks, losslessness across processes.</summary>
public sealed class QueueSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public QueueSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_bounded_queue_offers_the_non_blocking_members_and_counts()
    {
        var q = new AioQueue<string>(2, _context);
        Assert.True(await q.IsEmptyAsync());
        Assert.True(q.TryPut("a"));
        q.PutNowait("b");
        Assert.True(await q.IsFullAsync());
        Assert.False(q.TryPut("c"));
        Assert.Throws<QueueFullException>(() => q.PutNowait("c"));
        await Assert.ThrowsAsync<QueueFullException>(() => q.PutAsync("c", TimeSpan.FromMilliseconds(50)));
        Assert.Equal(2, q.Count);
        Assert.Equal("a", q.GetNowait());
        Assert.True(q.TryGet(out var b));
        Assert.Equal("b", b);
        Assert.False(q.TryGet(out _));
        Assert.Throws<QueueEmptyException>(() => q.GetNowait());
        await Assert.ThrowsAsync<QueueEmptyException>(() => q.GetAsync(TimeSpan.FromMilliseconds(50)));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task PutMany_GetMany_and_ReadAll_keep_order_and_Complete_ends_the_readers()
    {
        var q = new AioQueue<int>(context: _context);
        await q.PutManyAsync(Enumerable.Range(0, 10));
        Assert.Equal([0, 1, 2], await q.GetManyAsync(3));
        await q.CompleteAsync();
        var ex = await Assert.ThrowsAsync<QueueShutDownException>(async () =>
        {
            await q.PutAsync(99);
            await q.FlushAsync();
        });
        Assert.Contains("completed", ex.Message, StringComparison.Ordinal);

        var rest = new List<int>();
        await foreach (var item in q.ReadAllAsync())
        {
            rest.Add(item);
        }

        Assert.Equal(Enumerable.Range(3, 7), rest);
        await Assert.ThrowsAsync<QueueCompletedException>(() => q.GetAsync(TimeSpan.FromSeconds(5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => q.GetManyAsync(0).GetAwaiter().GetResult());
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_joinable_queue_joins_when_a_child_marked_every_item_done_and_refuses_extra_task_done()
    {
        var q = new AioJoinableQueue<int>(context: _context);
        await q.PutManyAsync([1, 2, 3]);
        Assert.False(await q.JoinAsync(TimeSpan.FromMilliseconds(50)));
        var p = new AioProcess(_context, DrainAndMarkDone, q, 3);
        await p.StartAsync();
        Assert.True(await q.JoinAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => q.TaskDoneAsync());
        Assert.Contains("too many times", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Items_prefetched_by_a_killed_consumer_all_arrive_exactly_once()
    {
        const int count = 2_000;
        var items = new AioQueue<int>(context: _context);
        var taken = new AioQueue<int[]>(context: _context);
        await items.PutManyAsync(Enumerable.Range(0, count));
        await items.FlushAsync();

        var consumer = new AioProcess(_context, TakeSomeThenHang, items, 25, taken);
        await consumer.StartAsync();
        var takenByKilled = await taken.GetAsync(Bounds.Remote);
        Assert.Equal(25, takenByKilled.Length);
        consumer.Kill();
        Assert.True(await consumer.JoinAsync(Bounds.Remote));

        await items.CompleteAsync();
        var rest = new List<int>();
        await foreach (var item in items.ReadAllAsync().WithCancellation(new CancellationTokenSource(Bounds.Remote).Token))
        {
            rest.Add(item);
        }

        var all = takenByKilled.Concat(rest).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, count), all);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Four_producers_and_four_consumers_move_250k_items_each_exactly_once_in_producer_order()
    {
        const int producers = 4;
        const int perProducer = 62_500;
        var items = new AioQueue<int>(context: _context);
        var results = new AioQueue<int[]>(context: _context);
        var consumers = Enumerable.Range(0, 4).Select(_ => new AioProcess(_context, ConsumeAll, items, results)).ToArray();
        var producing = Enumerable.Range(0, producers).Select(p => new AioProcess(_context, Produce, items, p * perProducer, perProducer)).ToArray();
        foreach (var process in consumers.Concat(producing))
        {
            await process.StartAsync();
        }

        foreach (var producer in producing)
        {
            Assert.True(await producer.JoinAsync(TimeSpan.FromSeconds(90)));
            Assert.Equal(0, producer.ExitCode);
        }

        await items.CompleteAsync();
        var seen = new int[producers * perProducer];
        for (var c = 0; c < consumers.Length; c++)
        {
            var got = await results.GetAsync(TimeSpan.FromSeconds(90));
            var lastPerProducer = Enumerable.Repeat(-1, producers).ToArray();
            foreach (var item in got)
            {
                seen[item]++;
                var producer = item / perProducer;
                Assert.True(item > lastPerProducer[producer], $"a consumer got {item} after {lastPerProducer[producer]} from producer {producer}");
                lastPerProducer[producer] = item;
            }
        }

        Assert.All(seen, times => Assert.Equal(1, times));
        foreach (var consumer in consumers)
        {
            Assert.True(await consumer.JoinAsync(Bounds.Remote));
        }
    }

    private static void DrainAndMarkDone(AioJoinableQueue<int> q, int n)
    {
        for (var i = 0; i < n; i++)
        {
            q.Get(timeout: TimeSpan.FromSeconds(30));
            q.TaskDone();
        }
    }

    private static void TakeSomeThenHang(AioQueue<int> items, int n, AioQueue<int[]> taken)
    {
        var mine = new int[n];
        for (var i = 0; i < n; i++)
        {
            mine[i] = items.Get(timeout: TimeSpan.FromSeconds(30));
        }

        // This put reports the takes first (anything a process sends does), so the coordinator counts these items
        // taken before the test sees them; the rest of the prefetched batch is still lent here when the test kills it.
        taken.Put(mine);
        taken.Flush();
        Thread.Sleep(TimeSpan.FromMinutes(2));
    }

    private static void Produce(AioQueue<int> items, int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            items.Put(i);
        }
    }

    private static async Task ConsumeAll(AioQueue<int> items, AioQueue<int[]> results)
    {
        var mine = new List<int>();
        await foreach (var item in items.ReadAllAsync())
        {
            mine.Add(item);
        }

        await results.PutAsync([.. mine]);
    }

}

/// <summary>
/// Large items. Alone in a collection that never runs beside others: moving 400 MB through two processes on a
/// 2-core machine already loads it fully, and what is checked here is the transfer, not contention.
/// </summary>
[Collection(LargeTransfers.Name)]
public sealed class LargeItemSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public LargeItemSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_100_MB_item_passes_through_a_queue_and_a_pipe_and_one_past_the_limit_is_refused_at_put()
    {
        var big = new byte[100 * 1024 * 1024];
        Random.Shared.NextBytes(big.AsSpan(0, 4096));
        big[^1] = 42;
        var there = new AioQueue<byte[]>(context: _context);
        var back = new AioQueue<byte[]>(context: _context);
        var (mine, theirs) = AioPipe.Create(context: _context);
        var echo = new AioProcess(_context, EchoBig, there, back, theirs);
        await echo.StartAsync();
        await there.PutAsync(big);
        var returned = await back.GetAsync(Bounds.Remote);
        Assert.True(big.AsSpan().SequenceEqual(returned), "the queue changed the item");
        await mine.SendBytesAsync(big);
        var piped = await mine.RecvBytesAsync(timeout: Bounds.Remote);
        Assert.True(big.AsSpan().SequenceEqual(piped), "the pipe changed the item");
        Assert.True(await echo.JoinAsync(Bounds.Remote));
        Assert.Equal(0, echo.ExitCode);

        await using var small = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.payload.max-bytes = 1000" });
        var limited = new AioQueue<byte[]>(context: small);
        var tooLarge = await Assert.ThrowsAsync<PayloadTooLargeException>(() => limited.PutAsync(new byte[2000]));
        Assert.Contains("aio.payload.max-bytes", tooLarge.Message, StringComparison.Ordinal);
    }

    private static async Task EchoBig(AioQueue<byte[]> there, AioQueue<byte[]> back, AioConnection conn)
    {
        await back.PutAsync(await there.GetAsync(TimeSpan.FromSeconds(60)));
        await conn.SendBytesAsync(await conn.RecvBytesAsync(timeout: TimeSpan.FromSeconds(60)));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeTransfers
{
    public const string Name = "large transfers";
}
