using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>AioQueue's sync and async members, timeouts, cancellation and closing, in the coordinator's own process.</summary>
[Collection(FacadeCollection.Name)]
public sealed class QueueFacadeSpecs
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);
    private readonly AioContext _context;

    public QueueFacadeSpecs(ContextFixture fixture) => _context = fixture.Context;

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

        // GetAsync sends its Take before it returns, and the queue's actor reads its mailbox in order: the Cancel that
        // follows finds the get waiting there, with nothing to wait for in between.
        Assert.False(getting.IsCompleted);
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
}
