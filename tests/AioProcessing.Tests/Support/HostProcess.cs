using System.Diagnostics;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A run of the AioProcessing.TestHost program (a process the spec did not start through AioProcess). It reads the
/// scenario's first line of output; disposing kills the program if it still runs.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, string firstLine)
    {
        _process = process;
        FirstLine = firstLine;
    }

    /// <summary>The scenario's first line of output.</summary>
    public string FirstLine { get; }

    /// <summary>The program's OS process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Starts the TestHost with <paramref name="args"/> and waits (bounded) for its first line.</summary>
    public static async Task<HostProcess> StartAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AioProcessing.TestHost.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        try
        {
            using var cts = new CancellationTokenSource(Bounds.Remote);
            var line = await process.StandardOutput.ReadLineAsync(cts.Token);
            return new HostProcess(process, line ?? throw new InvalidOperationException($"TestHost {string.Join(' ', args)} ended without output (exit code {(process.HasExited ? process.ExitCode : -1)})."));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILLs the program (and only it: its own children must notice by themselves).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
