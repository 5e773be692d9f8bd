using System.Diagnostics;
using System.Text;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A run of a program of the build as a person would start it: the node program's command line
/// (<see cref="Start"/>) or the TestHost (<see cref="HostProcess"/>). Its output is read line by line, its standard
/// error kept; disposing kills it (and its children) if it still runs.
/// </summary>
public sealed class ChildProgram : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _error = new();

    private ChildProgram(Process process)
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
    public static ChildProgram Start(string? secret, params string[] args) => StartProgram("AioProcessing.Node.dll", secret, args);

    /// <summary>Starts the program <paramref name="dll"/> (a path, or a file of the test's folder) with <paramref name="args"/>.</summary>
    public static ChildProgram StartProgram(string dll, string? secret, params string[] args) => StartProgram(null, dll, secret, args);

    /// <summary>
    /// Starts the program <paramref name="dll"/> inside the network namespace <paramref name="networkNamespace"/>
    /// (another host, as far as the network goes; see <see cref="NetworkHosts"/>). <c>ip netns exec</c> replaces
    /// itself with the program, so <see cref="Pid"/> is the program's.
    /// </summary>
    public static ChildProgram StartInNamespace(string networkNamespace, string dll, params string[] args) => StartProgram(networkNamespace, dll, null, args);

    private static ChildProgram StartProgram(string? networkNamespace, string dll, string? secret, string[] args)
    {
        // Standard input redirected too: the program must not share the test runner's.
        var start = new ProcessStartInfo(networkNamespace is null ? Environment.ProcessPath! : "ip") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        if (networkNamespace is not null)
        {
            foreach (var word in new[] { "netns", "exec", networkNamespace, Environment.ProcessPath! })
            {
                start.ArgumentList.Add(word);
            }
        }

        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AIO_SECRET");
        if (secret is not null)
        {
            start.Environment["AIO_SECRET"] = secret;
        }

        return new ChildProgram(Process.Start(start)!);
    }

    /// <summary>The next line of standard output (bounded); null at its end.</summary>
    public Task<string?> ReadLineAsync() => ReadLineAsync(Bounds.Remote);

    /// <summary>The next line of standard output, waiting at most <paramref name="within"/> (infinite: until the program ends or is killed); null at its end.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        return await _process.StandardOutput.ReadLineAsync(cts.Token);
    }

    /// <summary>Waits (bounded by <see cref="Bounds.Remote"/>) for the program to end, without reading its output, and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(Bounds.Remote);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits (for <paramref name="within"/>, else <see cref="Bounds.Remote"/>) for the program to end and returns its standard output and exit code.</summary>
    public async Task<(string Output, int ExitCode)> CompleteAsync(TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? Bounds.Remote);
        var output = await _process.StandardOutput.ReadToEndAsync(cts.Token);
        await _process.WaitForExitAsync(cts.Token);
        return (output, _process.ExitCode);
    }

    /// <summary>The exit code, or null while it runs.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>SIGKILLs the program, as a crash would (with its children unless told not to), and waits for it to be gone.</summary>
    public async Task KillAsync(bool entireProcessTree = true)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree);
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
