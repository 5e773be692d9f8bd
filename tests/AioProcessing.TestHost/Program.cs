// A separate program that owns a coordinator, for specs that must kill the coordinator's process itself.
// Scenario "sleeper": start a coordinator and one worker whose target never returns, print "WORKER <pid>", wait.

namespace AioProcessing.TestHost;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["sleeper"]:
                await using (var context = await AioContext.StartAsync())
                {
                    var process = new AioProcess(context, Sleep);
                    await process.StartAsync();
                    Console.WriteLine($"WORKER {process.Pid}");
                    Console.Out.Flush();
                    // Bounded: the spec kills this process long before; if it does not, the host still ends.
                    await Task.Delay(TimeSpan.FromMinutes(2));
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: AioProcessing.TestHost sleeper");
                return 2;
        }
    }

    private static void Sleep() => Thread.Sleep(TimeSpan.FromMinutes(2));
}
