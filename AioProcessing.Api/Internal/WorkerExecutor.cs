using AioProcessing.Actors.Nodes;
using AioProcessing.Node.Worker;
using AioProcessing.Serialization;

namespace AioProcessing.Internal;

/// <summary>
/// Runs targets in worker nodes. The worker program loads this type by name: it binds the worker's process to its
/// coordinator (so facades and <c>new AioLock()</c> in the target reach it), decodes the call, runs it, and turns
/// its outcome into an exit code, as Python's <c>Process.run</c> does.
/// </summary>
public sealed class WorkerExecutor : ITargetExecutor
{
    private readonly Lock _attach = new();
    private AioContext? _context;

    /// <inheritdoc />
    public void Prepare(WorkerEnvironment environment)
    {
        // One small call encoded, decoded, run and settled as Run does compiles that path before a real target needs
        // it: a ready node taken at once otherwise spent a first target's start doing so.
        var context = Attach(environment);
        Action<int, string, int[]> sample = Warm;
        Invoke(context, context.Payloads.SerializeCall(sample, [1, "warm", new[] { 1 }], CallShape.Parameters(sample), "warm-up"));
        SettleQueues(context);
    }

    /// <inheritdoc />
    public TargetOutcome Run(WorkerEnvironment environment, NodeProtocol.RunTarget run)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(run);
        var context = Attach(environment);
        AioProcess.RunningAs(run);
        try
        {
            Invoke(context, run.Target);
            return new TargetOutcome(0, null);
        }
#pragma warning disable CA1031 // Whatever the target throws is its outcome, reported to the parent.
        catch (Exception error)
#pragma warning restore CA1031
        {
            // As Python does, the child prints its traceback to its stderr as well.
            Console.Error.WriteLine($"Process {run.ProcessName}:{Environment.NewLine}{error}");
            return new TargetOutcome(1, new NodeProtocol.RemoteError(error.GetType().FullName ?? error.GetType().Name, error.Message, error.StackTrace ?? ""));
        }
        finally
        {
            // As Python joins its queue feeder threads at exit: what the target put reaches its queues, and what it
            // fetched but never took goes back, before the parent hears that it ended.
            SettleQueues(context);
        }
    }

    /// <inheritdoc />
    public void Finish(WorkerEnvironment environment)
    {
        // What the target's foreground threads put after it returned reaches its queues before the parent hears
        // that the process ended, as Python joins its feeder threads after the non-daemon threads.
        SettleQueues(Attach(environment));
    }

    // Decodes a call and runs it on this thread: a synchronous target runs here, an async one is awaited to its end.
    private static void Invoke(AioContext context, byte[] call)
    {
        var (target, args) = context.Payloads.DeserializeCall(call);
        CallShape.InvokeAsync(target, args).GetAwaiter().GetResult();
    }

    private static void SettleQueues(AioContext context) =>
        context.Ledger.SettleQueuesAsync(context.Settings.JoinOnDisposeTimeout).GetAwaiter().GetResult();

    private static void Warm(int number, string text, int[] numbers)
    {
    }

    private AioContext Attach(WorkerEnvironment environment)
    {
        lock (_attach)
        {
            return _context ??= AioContext.AttachWorker(environment);
        }
    }
}
