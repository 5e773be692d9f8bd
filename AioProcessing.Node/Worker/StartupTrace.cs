using System.Diagnostics;

namespace AioProcessing.Node.Worker;

/// <summary>
/// With <c>AIO_TRACE_STARTUP=1</c> in its environment, a worker prints to stderr how long after its OS process
/// started it reached each phase of its start. Off by default; used to find where start time goes.
/// </summary>
public static class StartupTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("AIO_TRACE_STARTUP") == "1";

    /// <summary>Notes that <paramref name="phase"/> was reached.</summary>
    public static void Mark(string phase)
    {
        if (Enabled)
        {
            var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            Console.Error.WriteLine($"[aio-startup] {sinceStart.TotalMilliseconds,7:F1} ms  {phase}");
        }
    }
}
