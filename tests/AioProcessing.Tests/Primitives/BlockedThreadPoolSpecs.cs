using AioProcessing.Internal;
using AioProcessing.Tests.Support;
using Akka.Actor;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>
/// Sync callers that block more thread-pool threads in the coordinator than the pool has: Akka.Remote's reads, which
/// complete on the pool in the application's process, still arrive, and the pool's minimum is put back afterwards.
/// In the facade collection, so that no other spec of this process blocks callers on the pool meanwhile.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class BlockedThreadPoolSpecs
{
    private readonly AioContext _context;

    public BlockedThreadPoolSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task Akka_remote_still_reads_while_sync_callers_block_more_thread_pool_threads_than_there_are()
    {
        var paths = new AioQueue<string>(context: _context);
        var stop = new AioEvent(_context);
        var host = new AioProcess(_context, HostEcho, paths, stop) { Daemon = true };
        await host.StartAsync();
        var echo = _context.ResolveActor(await paths.GetAsync(Bounds.Remote));
        Assert.Equal("formed", await echo.Ask<string>("formed", Bounds.Remote));
        ThreadPool.GetMinThreads(out var minimumBefore, out _);

        var lck = new AioLock(_context);
        await lck.AcquireAsync();
        var callers = Math.Max(128, ThreadPool.ThreadCount + 64);
        var blocking = 0;
        var running = Enumerable.Range(0, callers).Select(_ => Task.Run(() =>
        {
            Interlocked.Increment(ref blocking);
            using (lck.Lock(Bounds.Remote))
            {
            }
        })).ToArray();

        try
        {
            // The pool runs every caller (each then blocks in the lock's queue), and a message from the worker is
            // still read: before the minimum was raised, the pool added a thread every few hundred milliseconds and
            // that read waited behind the callers not yet started, for far longer than the ask's bound.
            await Conditions.UntilAsync(() => Volatile.Read(ref blocking) == callers, () => $"the pool started {Volatile.Read(ref blocking)} of {callers} blocking callers");
            Assert.Equal("while blocked", await echo.Ask<string>("while blocked", TimeSpan.FromSeconds(2)));
        }
        finally
        {
            // Whatever failed, the callers do not keep their pool threads blocked for the rest of the run.
            await lck.ReleaseAsync();
            await stop.SetAsync();
        }

        await Task.WhenAll(running).WaitAsync(Bounds.Remote);
        await Conditions.UntilAsync(
            () => ThreadPoolHeadroom.Blocked == 0 && MinimumWorkers() == minimumBefore,
            () => $"the pool's minimum is {MinimumWorkers()}, was {minimumBefore}; {ThreadPoolHeadroom.Blocked} callers still counted");

        Assert.True(await host.JoinAsync(Bounds.Remote));
    }

    private static int MinimumWorkers()
    {
        ThreadPool.GetMinThreads(out var workers, out _);
        return workers;
    }

    private static void HostEcho(AioQueue<string> paths, AioEvent stop)
    {
        var system = AioContext.Default.System;
        var echo = system.ActorOf(Props.Create(() => new Echo()), "echo");
        paths.Put(echo.Path.ToSerializationFormatWithAddress(((ExtendedActorSystem)system).Provider.DefaultAddress));
        stop.Wait(Bounds.Remote * 4);
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }
}
