using System.Diagnostics;
using System.Text;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A run of the node program's command line (AioProcessing.Node.dll), as a person would start it. Its output is
/// read line by line; disposing kills it if it still runs.
/// </summary>
public sealed class NodeProgram : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _error = new();

    private NodeProgram(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_error)
            {
                _error.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The program's OS process id.</summary>
    public int Pid => _process.Id;

    /// <summary>What it wrote to standard error so far.</summary>
    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Starts the node program with <paramref name="args"/>, and <paramref name="secret"/> in AIO_SECRET when given.</summary>
    public static NodeProgram Start(string? secret, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AioProcessing.Node.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AIO_SECRET");
        if (secret is not null)
        {
            start.Environment["AIO_SECRET"] = secret;
        }

        return new NodeProgram(Process.Start(start)!);
    }

    /// <summary>The next line of standard output (bounded); null at its end.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(Bounds.Remote);
        return await _process.StandardOutput.ReadLineAsync(cts.Token);
    }

    /// <summary>Waits (bounded) for the program to end and returns its standard output and exit code.</summary>
    public async Task<(string Output, int ExitCode)> CompleteAsync()
    {
        using var cts = new CancellationTokenSource(Bounds.Remote);
        var output = await _process.StandardOutput.ReadToEndAsync(cts.Token);
        await _process.WaitForExitAsync(cts.Token);
        return (output, _process.ExitCode);
    }

    /// <summary>SIGKILLs the program, as a crash would, and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
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
