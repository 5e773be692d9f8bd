using AioProcessing.Actors.Nodes;
using Akka.Actor;

namespace AioProcessing.Node.Worker;

/// <summary>
/// Runs an encoded target in a worker node. The node layer cannot decode targets (that needs the public API's
/// payload serializer), so the API supplies the implementation and the worker loads it by name at run time.
/// </summary>
public interface ITargetExecutor
{
    /// <summary>
    /// Gets ready to run targets (binds to the coordinator, warms the path a target takes, from decoding to settling),
    /// so a target that arrives later starts sooner. Called on its own thread, and only in a node launched ahead of
    /// need (<see cref="WorkerBootstrap.Ready"/>), which registers once it returns; <see cref="Run"/> must not depend
    /// on it having run.
    /// </summary>
    void Prepare(WorkerEnvironment environment);

    /// <summary>Runs <paramref name="run"/>'s target to completion on the calling thread, which is dedicated to it.</summary>
    TargetOutcome Run(WorkerEnvironment environment, NodeProtocol.RunTarget run);

    /// <summary>
    /// Called once the foreground threads the target started are done, just before its outcome is reported: what
    /// they did (items put) must reach the coordinator first.
    /// </summary>
    void Finish(WorkerEnvironment environment)
    {
    }
}

/// <summary>How a target ended: exit code 0, or 1 with the exception it threw.</summary>
public sealed record TargetOutcome(int ExitCode, NodeProtocol.RemoteError? Error);

/// <summary>The worker node a target runs in.</summary>
/// <param name="System">The worker's actor system, joined to the coordinator.</param>
/// <param name="Coordinator">The coordinator's address.</param>
/// <param name="Bootstrap">What the worker was started with.</param>
public sealed record WorkerEnvironment(ActorSystem System, Address Coordinator, WorkerBootstrap Bootstrap);

/// <summary>Exit codes of a worker process that ends for its own reasons, not its target's.</summary>
public static class WorkerExitCodes
{
    /// <summary>The process that started the worker is gone (its standard input closed).</summary>
    public const int ParentLost = 70;

    /// <summary>The coordinator is gone.</summary>
    public const int CoordinatorLost = 71;

    /// <summary>The coordinator refused the node.</summary>
    public const int Rejected = 72;

    /// <summary>The worker could not start (bad bootstrap, executor not found).</summary>
    public const int StartFailed = 73;
}
