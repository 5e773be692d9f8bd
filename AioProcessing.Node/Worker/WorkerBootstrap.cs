using System.Text.Json;
using System.Text.Json.Serialization;

namespace AioProcessing.Node.Worker;

/// <summary>
/// What a spawned worker node needs to join its coordinator. The parent writes it as one JSON line to the worker's
/// standard input, so the secret never appears on a command line (visible to every user of the machine).
/// </summary>
/// <param name="Coordinator">The coordinator's address, e.g. <c>akka.tcp://aio@127.0.0.1:41234</c>.</param>
/// <param name="NodeId">The id the coordinator expects this node to register under.</param>
/// <param name="Secret">The coordinator's secret.</param>
/// <param name="ExecutorType">Assembly-qualified name of the <see cref="ITargetExecutor"/> that runs targets.</param>
/// <param name="ProbeDirectories">Where to look for assemblies the worker's own folder lacks (the starting application's folders).</param>
/// <param name="Config">HOCON the coordinator was started with, layered over the defaults, or null.</param>
public sealed record WorkerBootstrap(string Coordinator, string NodeId, string Secret, string ExecutorType, IReadOnlyList<string> ProbeDirectories, string? Config)
{
    /// <summary>Encodes the bootstrap as a single line of JSON.</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, BootstrapJson.Default.WorkerBootstrap);

    /// <summary>Decodes a line written by <see cref="ToJsonLine"/>.</summary>
    public static WorkerBootstrap FromJsonLine(string line) =>
        JsonSerializer.Deserialize(line, BootstrapJson.Default.WorkerBootstrap)
        ?? throw new InvalidDataException("The worker bootstrap line is empty.");
}

/// <summary>Source-generated JSON for <see cref="WorkerBootstrap"/>: no reflection on the start-up path.</summary>
[JsonSerializable(typeof(WorkerBootstrap))]
internal sealed partial class BootstrapJson : JsonSerializerContext;
