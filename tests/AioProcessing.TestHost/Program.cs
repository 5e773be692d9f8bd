// A separate program for specs that need a process the test did not spawn through AioProcess, or must kill the
// coordinator's process itself. Each scenario prints one line that the spec reads, then waits (bounded).
//   sleeper                          start a coordinator and one worker whose target never returns; "WORKER <pid>"
//   coordinator <secret> [hocon]     start a coordinator with that secret (and HOCON); "COORDINATOR <address>"
//   hold <address> <secret> <name>   join that coordinator and hold the lock called <name>; "HOLDING"
//   pool-worker <address> <secret> <pool>  join that coordinator and serve the pool called <pool>; "SERVING"

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
            default:
                await Console.Error.WriteLineAsync("usage: AioProcessing.TestHost sleeper | coordinator <secret> [hocon] | hold <address> <secret> <name> | pool-worker <address> <secret> <pool>");
                return 2;
        }
    }

    private static void Say(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
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
