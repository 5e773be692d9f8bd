// A separate program for specs that need a process the test did not spawn through AioProcess, or must kill the
// coordinator's process itself. Each scenario prints one line that the spec reads, then waits (bounded).
//   sleeper                          start a coordinator and one worker whose target never returns; "WORKER <pid>"
//   coordinator <secret> [hocon]     start a coordinator with that secret (and HOCON); "COORDINATOR <address>"
//   hold <address> <secret> <name>   join that coordinator and hold the lock called <name>; "HOLDING"
//   pool-worker <address> <secret> <pool>  join that coordinator and serve the pool called <pool>; "SERVING"
//   remote-worker <address> <secret> <bind host> <hocon file>
//                                    join from another host (TLS in the HOCON): hold the lock "held" ("HOLDING", then
//                                    "HOLD LOST" when the hold ends without a release), take from the queue "work"
//                                    ("GOT <item>" each), serve the pool "crunch"; "COORDINATOR LOST" and exit 71 when
//                                    the coordinator is lost

namespace AioProcessing.TestHost;

internal static class Program
{
    // Bounded: the spec kills this process long before; if it does not, the host still ends.
    private static readonly TimeSpan Linger = TimeSpan.FromMinutes(2);

    private static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["sleeper"]:
                await using (var context = await AioContext.StartAsync())
                {
                    var process = new AioProcess(context, Sleep);
                    await process.StartAsync();
                    Say($"WORKER {process.Pid}");
                    await Task.Delay(Linger);
                }

                return 0;
            case ["coordinator", var secret, .. var hocon] when hocon.Length <= 1:
                await using (var context = await AioContext.StartAsync(new AioContextOptions { Secret = secret, Hocon = hocon.FirstOrDefault() }))
                {
                    Say($"COORDINATOR {context.Address}");
                    await Task.Delay(Linger);
                }

                return 0;
            case ["hold", var address, var secret, var name]:
                await using (var context = await AioContext.ConnectAsync(address, secret))
                {
                    var held = new AioLock(name, context);
                    await held.AcquireAsync();
                    Say("HOLDING");
                    await Task.Delay(Linger);
                }

                return 0;
            case ["pool-worker", var address, var secret, var pool]:
                await using (var context = await AioContext.ConnectAsync(address, secret))
                {
                    Say("SERVING");
                    using var linger = new CancellationTokenSource(Linger);
                    await AioPool.ServeAsync(context, pool, linger.Token);
                }

                return 0;
            case ["remote-worker", var address, var secret, var bindHost, var hoconFile]:
                return await RemoteWorkerAsync(address, secret, bindHost, await File.ReadAllTextAsync(hoconFile));
            default:
                await Console.Error.WriteLineAsync("usage: AioProcessing.TestHost sleeper | coordinator <secret> [hocon] | remote-worker <address> <secret> <bind host> <hocon file> | hold <address> <secret> <name> | pool-worker <address> <secret> <pool>");
                return 2;
        }
    }

    private static async Task<int> RemoteWorkerAsync(string address, string secret, string bindHost, string hocon)
    {
        await using var context = await AioContext.ConnectAsync(address, secret, new AioContextOptions { HostName = bindHost, Hocon = hocon });
        var held = await new AioLock("held", context).LockAsync();
        held.HoldLost.Register(() => Say("HOLD LOST"));
        Say("HOLDING");
        var queue = new AioQueue<int>("work", context: context);
        var consuming = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    Say($"GOT {await queue.GetAsync()}");
                    await Task.Delay(20);
                }
            }
            catch (Exception ex)
            {
                Say($"QUEUE {ex.GetType().Name}");
            }
        });
        using var linger = new CancellationTokenSource(Linger);
        try
        {
            await AioPool.ServeAsync(context, "crunch", 1, linger.Token);
        }
        catch (CoordinatorLostException)
        {
            await consuming;
            Say("COORDINATOR LOST");
            return 71;
        }

        return 0;
    }

    private static void Say(string line)
    {
        // From several threads at once: one line each.
        lock (Console.Out)
        {
            Console.WriteLine(line);
            Console.Out.Flush();
        }
    }

    private static void Sleep() => Thread.Sleep(Linger);
}

/// <summary>Pool functions that a hand-started TestHost worker can load (they live in its own assembly).</summary>
public static class PoolFunctions
{
    /// <summary>Sleeps <paramref name="ms"/> and returns the id of the process that ran it.</summary>
    public static int PidAfter(int ms)
    {
        Thread.Sleep(ms);
        return Environment.ProcessId;
    }
}
