namespace AioProcessing.Tests.Support;

/// <summary>
/// A run of the AioProcessing.TestHost program (a process the spec did not start through AioProcess). It reads the
/// scenario's first line of output; disposing kills the program if it still runs.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly ChildProgram _program;

    private HostProcess(ChildProgram program, string firstLine)
    {
        _program = program;
        FirstLine = firstLine;
    }

    /// <summary>The scenario's first line of output.</summary>
    public string FirstLine { get; }

    /// <summary>The program's OS process id.</summary>
    public int Pid => _program.Pid;

    /// <summary>Starts the TestHost with <paramref name="args"/> and waits (bounded) for its first line.</summary>
    public static async Task<HostProcess> StartAsync(params string[] args)
    {
        var program = ChildProgram.StartProgram("AioProcessing.TestHost.dll", null, args);
        try
        {
            var line = await program.ReadLineAsync();
            return new HostProcess(program, line ?? throw new InvalidOperationException($"TestHost {string.Join(' ', args)} ended without output (exit code {program.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none yet"}): {program.Error}"));
        }
        catch
        {
            await program.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILLs the program (and only it: its own children must notice by themselves).</summary>
    public Task KillAsync() => _program.KillAsync(entireProcessTree: false);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _program.DisposeAsync();
}
