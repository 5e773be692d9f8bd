using Xunit;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A coordinator for one spec class, or for the classes of one collection (FacadeCollection). Disposing it kills
/// every worker process its specs started, so no child outlives the run whatever a spec did.
/// </summary>
public sealed class ContextFixture : IAsyncLifetime
{
    public AioContext Context { get; private set; } = null!;

    public async Task InitializeAsync() => Context = await AioContext.StartAsync();

    public async Task DisposeAsync() => await Context.DisposeAsync();
}

/// <summary>Bounds for specs: generous on a loaded 2-core machine, and never unbounded.</summary>
public static class Bounds
{
    /// <summary>How long a spec waits for something another process does.</summary>
    public static readonly TimeSpan Remote = TimeSpan.FromSeconds(30);

    /// <summary>The xunit timeout of one multi-process spec, in milliseconds.</summary>
    public const int Spec = 120_000;
}
