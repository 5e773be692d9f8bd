using System.Diagnostics;

namespace AioProcessing.Node.Worker;

/// <summary>
/// With <c>AIO_TRACE_STARTUP=1</c> in its environment, a worker prints to stderr how long after its OS process
/// started it reached each phase of its start, with the CPU time, JIT work, collections and assemblies it had spent by
/// then (the JIT count is what ReadyToRun did not cover). <c>AIO_TRACE_ASSEMBLIES=1</c> also lists the assemblies
/// loaded. Off by default; used to find where start time goes.
/// </summary>
public static class StartupTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("AIO_TRACE_STARTUP") == "1";
    private static readonly bool ListAssemblies = Environment.GetEnvironmentVariable("AIO_TRACE_ASSEMBLIES") == "1";

    /// <summary>Notes that <paramref name="phase"/> was reached.</summary>
    public static void Mark(string phase)
    {
        if (Enabled)
        {
            using var process = Process.GetCurrentProcess();
            var sinceStart = DateTime.Now - process.StartTime;
            var assemblies = AppDomain.CurrentDomain.GetAssemblies();
            Console.Error.WriteLine(
                $"[aio-startup] {sinceStart.TotalMilliseconds,7:F1} ms  {phase}  (cpu {process.TotalProcessorTime.TotalMilliseconds:F0} ms, " +
                $"jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms, " +
                $"gc {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, {assemblies.Length} assemblies)");
            if (ListAssemblies)
            {
                Console.Error.WriteLine("[aio-startup] " + string.Join(" ", assemblies.Select(a => a.GetName().Name)));
            }
        }
    }
}
