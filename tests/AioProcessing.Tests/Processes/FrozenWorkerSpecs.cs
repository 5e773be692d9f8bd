using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>
/// A worker that froze (SIGSTOP: its connection and its lane stay open, only its heartbeats stop) is declared dead by
/// the coordinator's failure detector, and what it held is given back. When it resumes it must not run on as if it
/// still held it.
/// </summary>
public sealed class FrozenWorkerSpecs
{
    [Theory(Timeout = Bounds.Spec)]
    [InlineData("on")]
    [InlineData("off")]
    public async Task A_worker_declared_dead_while_frozen_stops_when_it_resumes_instead_of_running_on(string lane)
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = $"aio.lane.enabled = {lane}\naio.node.warm-nodes = 0" });
        var worker = await LockHoldingWorker.StartAsync(context);
        await worker.FreezeUntilDeclaredDeadThenAssertItStopsAsync();
    }
}
