using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>AioSemaphore's and AioBoundedSemaphore's sync and async members, in the coordinator's own process.</summary>
[Collection(FacadeCollection.Name)]
public sealed class SemaphoreFacadeSpecs
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);
    private readonly AioContext _context;

    public SemaphoreFacadeSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_semaphore_counts_permits_and_a_bounded_one_refuses_over_release()
    {
        var sem = new AioSemaphore(2, _context);
        Assert.True(sem.Acquire());
        Assert.True(await sem.AcquireAsync());
        Assert.False(sem.Acquire(block: false));
        Assert.Equal(0, sem.Value);
        sem.Release();
        await sem.ReleaseAsync();
        await sem.ReleaseAsync(); // a plain semaphore may go above its initial value, as in Python
        Assert.Equal(3, await sem.ValueAsync());

        var bounded = new AioBoundedSemaphore(1, _context);
        using (await bounded.LockAsync(Short))
        {
            Assert.False(await bounded.AcquireAsync(TimeSpan.Zero));
        }

        Assert.Throws<SemaphoreFullException>(bounded.Release);
        Assert.Equal(1, bounded.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AioSemaphore(-1, _context));
    }
}
