namespace AioProcessing.Node.Worker;

/// <summary>
/// How a worker process ends. A target that returned does not end it at once: as Python's child waits for its
/// non-daemon threads, the worker's <c>Main</c> returns and the runtime waits for the foreground threads the target
/// started; only then (on <see cref="AppDomain.ProcessExit"/>) is the outcome reported, so that the parent's
/// <c>Join</c> waits for them too. A worker that ends for its own reasons (its coordinator or its parent is gone)
/// ends at once, with nothing to report.
/// </summary>
public sealed class WorkerExit
{
    private readonly TaskCompletionSource<int> _code = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action? _report;
    private int _endingNow;

    /// <summary>The process's exit code, once it is known.</summary>
    public Task<int> Code => _code.Task;

    /// <summary>Whether the target returned and its outcome is to be reported when the process exits.</summary>
    public bool ReportsAtExit => Volatile.Read(ref _report) is not null;

    /// <summary>The worker ends for a reason of its own (<see cref="WorkerExitCodes"/>) before its target returned.</summary>
    public void End(int code) => _code.TrySetResult(code);

    /// <summary>The target returned with <paramref name="code"/>; <paramref name="report"/> tells the parent, at exit.</summary>
    public void TargetReturned(int code, Action report)
    {
        Volatile.Write(ref _report, report);
        _code.TrySetResult(code);
    }

    /// <summary>
    /// Ends the process now with <paramref name="code"/> (its coordinator or parent is gone), even while foreground
    /// threads of the target still run: a worker never outlives its coordinator.
    /// </summary>
    public void EndNow(int code)
    {
        Volatile.Write(ref _endingNow, 1);
        if (!_code.TrySetResult(code))
        {
            Environment.Exit(code);
        }
    }

    /// <summary>Sends the report, once, unless the process ends for a reason of its own.</summary>
    public void ReportIfDue()
    {
        if (Interlocked.Exchange(ref _report, null) is { } report && Volatile.Read(ref _endingNow) == 0)
        {
            report();
        }
    }
}
