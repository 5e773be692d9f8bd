namespace AioProcessing;

/// <summary>
/// A process as a target sees it (<see cref="AioProcess.Current"/>, <see cref="AioProcess.Parent"/>): Python's
/// <c>current_process()</c> and <c>parent_process()</c>.
/// </summary>
/// <param name="Name">The process's name (<see cref="AioProcess.Name"/>; "MainProcess" for a program not started as one).</param>
/// <param name="Pid">Its OS process id.</param>
/// <param name="Daemon">Whether it was started as a daemon.</param>
public sealed record AioProcessInfo(string Name, int Pid, bool Daemon)
{
    /// <summary>Whether the OS process is still running.</summary>
    public bool IsAlive
    {
        get
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(Pid);
                return !process.HasExited;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                return false;
            }
        }
    }
}
