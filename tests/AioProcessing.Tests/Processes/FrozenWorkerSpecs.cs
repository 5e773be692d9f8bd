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
        var (lck, held, go, done) = (new AioLock(context), new AioEvent(context), new AioEvent(context), new AioEvent(context));
        var worker = new AioProcess(context, HoldUntilTold, lck, held, go, done);
        await worker.StartAsync();
        Assert.True(await held.WaitAsync(Bounds.Remote));

        await OsProcesses.SignalAsync(worker.Pid!.Value, "STOP");
        try
        {
            Assert.True(await lck.AcquireAsync(Bounds.Remote), "the frozen worker's lock was never given back");
        }
        finally
        {
            await OsProcesses.SignalAsync(worker.Pid!.Value, "CONT");
        }

        // It resumes believing it holds the lock; the event it waits for is set, so it would go on if nothing told it.
        await go.SetAsync();
        Assert.True(await worker.JoinAsync(Bounds.Remote), "the worker declared dead runs on after it resumed");
        Assert.NotEqual(0, worker.ExitCode);
        Assert.False(await done.IsSetAsync(), "the worker declared dead went on with its target");
    }

    private static void HoldUntilTold(AioLock lck, AioEvent held, AioEvent go, AioEvent done)
    {
        lck.Acquire();
        held.Set();
        go.Wait();
        done.Set();
        lck.Release();
    }
}
