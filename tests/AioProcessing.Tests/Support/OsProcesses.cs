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

    /// <summary>
    /// Whether <paramref name="pid"/> has ended: gone, or a zombie not yet reaped. Reading /proc races the kernel's
    /// reaping: the file can vanish (not found) or be mid-removal (an IOException for ESRCH); each means gone.
    /// </summary>
    public static bool Ended(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Waits (bounded by <see cref="Bounds.Remote"/>) for <paramref name="pid"/> to end; false if it still runs.</summary>
    public static async Task<bool> EndedAsync(int pid)
    {
        for (var deadline = DateTime.UtcNow + Bounds.Remote; DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            if (Ended(pid))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The resident memory (VmRSS) of <paramref name="pid"/>, in bytes.</summary>
    public static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
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
