using AioProcessing.Node.Worker;
using AioProcessing.Tests.Support;
using Akka.Configuration;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>What a worker readies on a second thread while it reads its bootstrap.</summary>
public sealed class WorkerWarmUpSpecs
{
    // Bounded by the join below, not by xunit's timeout, which only async specs support.
    [Fact]
    public void The_warm_up_runs_on_a_background_thread_of_its_own_and_ends()
    {
        var thread = WorkerWarmUp.Create();
        Assert.True(thread.IsBackground, "a warm-up must never keep a worker alive");
        Assert.Equal("aio-warm-up", thread.Name);

        thread.Start();
        Assert.NotEqual(Environment.CurrentManagedThreadId, thread.ManagedThreadId);
        Assert.True(thread.Join(Bounds.Remote), "the warm-up did not end");
        // What it readied is what the node's configuration goes on to use.
        Assert.Equal(TimeSpan.FromMilliseconds(1500), ConfigurationFactory.ParseString("d = 1500ms").GetTimeSpan("d"));
    }
}
