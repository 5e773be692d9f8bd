using Xunit;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A worker process that takes <see cref="Lock"/> and holds it until <see cref="Go"/> is set; then it sets
/// <see cref="Done"/> and releases the lock. For specs about what a worker keeps or loses while it holds something.
/// </summary>
internal sealed record LockHoldingWorker(AioProcess Process, AioLock Lock, AioEvent Go, AioEvent Done)
{
    /// <summary>Starts the worker in <paramref name="context"/> and returns once it holds the lock.</summary>
    public static async Task<LockHoldingWorker> StartAsync(AioContext context)
    {
        var (lck, held, go, done) = (new AioLock(context), new AioEvent(context), new AioEvent(context), new AioEvent(context));
        var process = new AioProcess(context, HoldUntilTold, lck, held, go, done);
        await process.StartAsync();
        Assert.True(await held.WaitAsync(Bounds.Remote), "the worker never took its lock");
        return new LockHoldingWorker(process, lck, go, done);
    }

    /// <summary>
    /// Freezes the worker (SIGSTOP: its connection and its lane stay open, only its heartbeats stop) until the
    /// coordinator gives its lock back, resumes it, tells it to go on, and asserts that it stops instead of finishing
    /// with the lock that was given back.
    /// </summary>
    public async Task FreezeUntilDeclaredDeadThenAssertItStopsAsync()
    {
        await OsProcesses.SignalAsync(Process.Pid!.Value, "STOP");
        try
        {
            Assert.True(await Lock.AcquireAsync(Bounds.Remote), "the frozen worker's lock was never given back");
        }
        finally
        {
            await OsProcesses.SignalAsync(Process.Pid!.Value, "CONT");
        }

        // It resumes believing it holds the lock; the event it waits for is set, so it would go on if nothing told it.
        await Go.SetAsync();
        Assert.True(await Process.JoinAsync(Bounds.Remote), "the worker declared dead runs on after it resumed");
        Assert.NotEqual(0, Process.ExitCode);
        Assert.False(await Done.IsSetAsync(), "the worker declared dead went on with its target");
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
