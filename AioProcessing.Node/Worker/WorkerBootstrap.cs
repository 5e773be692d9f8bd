using System.Text;

namespace AioProcessing.Node.Worker;

/// <summary>
/// What a spawned worker node needs to join its coordinator. The parent writes it as one line to the worker's
/// standard input, so the secret never appears on a command line (visible to every user of the machine).
/// </summary>
/// <param name="Coordinator">The coordinator's address, e.g. <c>akka.tcp://aio@127.0.0.1:41234</c>.</param>
/// <param name="NodeId">The id the coordinator expects this node to register under.</param>
/// <param name="Secret">The coordinator's secret.</param>
/// <param name="ExecutorType">Assembly-qualified name of the <see cref="ITargetExecutor"/> that runs targets.</param>
/// <param name="ProbeDirectories">Where to look for assemblies the worker's own folder lacks (the starting application's folders).</param>
/// <param name="Config">HOCON the coordinator was started with, layered over the defaults, or null.</param>
/// <param name="Ready">
/// A node launched ahead of need (a warm node): it readies its executor before it registers, so that the start that
/// takes it finds it prepared. A node launched for a waiting process registers at once and prepares nothing.
/// </param>
public sealed record WorkerBootstrap(string Coordinator, string NodeId, string Secret, string ExecutorType, IReadOnlyList<string> ProbeDirectories, string? Config, bool Ready = false)
{
    /// <summary>
    /// Encodes the bootstrap as one line: fields separated by tabs, each UTF-8 then base64 (so no field can hold a
    /// separator), probe directories joined by a newline before encoding. Cheaper to read at start-up than JSON.
    /// </summary>
    public string ToLine() => string.Join('\t', new[] { Coordinator, NodeId, Secret, ExecutorType, string.Join('\n', ProbeDirectories), Config ?? "", Ready ? "ready" : "" }
        .Select(f => Convert.ToBase64String(Encoding.UTF8.GetBytes(f))));

    /// <summary>Decodes a line written by <see cref="ToLine"/>.</summary>
    /// <exception cref="InvalidDataException">The line does not hold the seven fields.</exception>
    public static WorkerBootstrap FromLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = line.Split('\t').Select(f => Encoding.UTF8.GetString(Convert.FromBase64String(f))).ToArray();
        if (fields.Length != 7)
        {
            throw new InvalidDataException($"The worker bootstrap line has {fields.Length} fields, not 7.");
        }

        return new WorkerBootstrap(fields[0], fields[1], fields[2], fields[3], fields[4].Split('\n', StringSplitOptions.RemoveEmptyEntries), fields[5].Length == 0 ? null : fields[5], fields[6] == "ready");
    }
}
