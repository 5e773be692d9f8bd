using System.Diagnostics;

namespace AioProcessing.Tests.Support;

public static class OsProcesses
{
    /// <summary>Whether an OS process with <paramref name="pid"/> is running.</summary>
    public static bool Exists(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. STOP, CONT) to <paramref name="pid"/> with the OS's kill command.</summary>
    public static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var bound = new CancellationTokenSource(Bounds.Remote);
        await kill.WaitForExitAsync(bound.Token);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited {kill.ExitCode}");
        }
    }
}
