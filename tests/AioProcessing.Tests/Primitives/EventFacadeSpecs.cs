using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>
/// AioEvent's sync and async members, timeouts and cancellation, in the coordinator's own process; and a facade whose
/// context is disposed.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class EventFacadeSpecs
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);
    private readonly AioContext _context;

    public EventFacadeSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task An_event_releases_waiters_when_set_and_times_out_when_clear()
    {
        var ev = new AioEvent(_context);
        Assert.False(ev.IsSet);
        Assert.False(await ev.WaitAsync(Short));
        var waiter = ev.WaitAsync();
        ev.Set();
        Assert.True(await waiter);
        Assert.True(ev.Wait(TimeSpan.Zero));
        Assert.True(await ev.IsSetAsync());
        await ev.ClearAsync();
        Assert.False(ev.Wait(Short));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_cancelled_event_wait_throws()
    {
        var ev = new AioEvent(_context);
        using var cts = new CancellationTokenSource(Short);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ev.WaitAsync(ct: cts.Token));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_disposed_context_refuses_calls()
    {
        var context = await AioContext.StartAsync();
        var ev = new AioEvent(context);
        await context.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(ev.Set);
        Assert.Throws<ObjectDisposedException>(() => new AioLock(context));
    }
}
