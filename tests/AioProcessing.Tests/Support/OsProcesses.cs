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
}
