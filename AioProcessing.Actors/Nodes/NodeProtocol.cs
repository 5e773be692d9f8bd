using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Nodes;

/// <summary>
/// Messages between the process that starts a worker node (the owner), the coordinator's <see cref="NodeManager"/>
/// and the worker node itself. The path of one start: the owner sends <see cref="ExpectWorker"/> and launches the
/// OS process; the worker sends <see cref="RegisterWorker"/> (repeated until answered); the manager admits it
/// (<see cref="WorkerAdmitted"/>), hands it <see cref="RunTarget"/> and tells
/// the owner <see cref="WorkerUp"/>; when the target returns the worker tells the owner <see cref="TargetExited"/>
/// and waits for its <see cref="Primitives.WaitProtocol.Ack"/> before the process exits.
/// </summary>
public static class NodeProtocol
{
    /// <summary>Announces that node <paramref name="NodeId"/> is being launched and what it must run once it registers.</summary>
    public sealed record ExpectWorker(string NodeId, RunTarget Target) : IAioMessage;

    /// <summary>
    /// Announces a warm node: launched before any process needs it. Once it registers it waits idle, and
    /// <paramref name="Notify"/> receives <see cref="WorkerUp"/>; a later <see cref="ExpectWorker"/> with its id hands
    /// it a target at once.
    /// </summary>
    public sealed record ExpectWarmWorker(string NodeId, IActorRef Notify) : IAioMessage;

    /// <summary>Withdraws an <see cref="ExpectWorker"/> whose node never came up.</summary>
    public sealed record ForgetWorker(string NodeId) : IAioMessage;

    /// <summary>A worker node joining the coordinator, proving it was handed the coordinator's secret.</summary>
    public sealed record RegisterWorker(string NodeId, int Pid, string Secret, IActorRef Worker) : IAioMessage;

    /// <summary>
    /// The coordinator's answer to a <see cref="RegisterWorker"/> it accepted (and to every repeat of it). A worker
    /// repeats its registration until it hears this, <see cref="RunTarget"/> or <see cref="WorkerRejected"/>, so a
    /// first association that failed does not leave it waiting until its start timeout.
    /// </summary>
    public sealed record WorkerAdmitted(string NodeId) : IAioMessage;

    /// <summary>Sent to a worker that failed to register; it exits.</summary>
    public sealed record WorkerRejected(string Reason) : IAioMessage;

    /// <summary>
    /// Run the encoded target; report to <paramref name="Owner"/>. <paramref name="Target"/> is opaque to this layer.
    /// <paramref name="Daemon"/>, <paramref name="ParentPid"/> and <paramref name="ParentName"/> describe the process
    /// and the one that started it, for the target's <c>AioProcess.Current</c> and <c>AioProcess.Parent</c>.
    /// </summary>
    public sealed record RunTarget(string NodeId, string ProcessName, byte[] Target, IActorRef Owner, bool Daemon = false, int ParentPid = 0, string ParentName = "") : IAioMessage;

    /// <summary>Node <paramref name="NodeId"/> registered and was handed its target.</summary>
    public sealed record WorkerUp(string NodeId, int Pid, IActorRef Worker) : IAioMessage;

    /// <summary>The target of node <paramref name="NodeId"/> finished: 0 on success, 1 when it threw (with the error's type, message and stack).</summary>
    public sealed record TargetExited(string NodeId, int ExitCode, RemoteError? Error) : IAioMessage;

    /// <summary>
    /// Published on the coordinator's event stream when the process at <paramref name="Node"/> is gone (its
    /// connection dropped or DeathWatch declared it dead). Primitives give back what it held. Local only.
    /// </summary>
    public sealed record NodeDown(Address Node);

    /// <summary>
    /// Told to the <see cref="NodeManager"/> when the same-host lane of the process at <paramref name="Node"/> closed:
    /// a lane does not drop and come back as a network connection may, so its process ended. Local only.
    /// </summary>
    public sealed record LinkClosed(Address Node);

    /// <summary>
    /// Told to the <see cref="NodeManager"/> when the process at <paramref name="Node"/> opened a same-host lane. While
    /// it is open, the lane's closing, not a dropped Akka.Remote association, is that process's death; the manager
    /// calls <paramref name="Close"/> when it declares the process dead for another reason. Local only.
    /// </summary>
    internal sealed record LinkOpened(Address Node, Action Close);

    /// <summary>
    /// A process that was not spawned by this coordinator joins it (<c>AioContext.ConnectAsync</c>), presenting the
    /// secret. <paramref name="Member"/> is watched: its death (DeathWatch, not a dropped connection, since such a
    /// node may be on another machine) releases what its process held. Answered by <see cref="Primitives.WaitProtocol.Ack"/>
    /// or, for a wrong secret, <see cref="Primitives.WaitProtocol.Failed"/>.
    /// </summary>
    public sealed record Join(long RequestId, int Pid, string Secret, IActorRef Member) : IAioRequest;

    /// <summary>
    /// To a joined node's member: the coordinator declared this node dead and gave back what it held. Best effort
    /// (the node may really be gone); a node that gets it treats its coordinator as lost.
    /// </summary>
    public sealed record Evicted(string Reason) : IAioMessage;

    /// <summary>
    /// Ask for the coordinator's state (the node program's <c>status</c> command). Answered, only to a process that
    /// joined or was spawned (or the coordinator's own), by <see cref="Primitives.PrimitiveHost.Status"/>; anyone else
    /// gets <see cref="Primitives.WaitProtocol.Failed"/>.
    /// </summary>
    public sealed record StatusQuery(long RequestId) : IAioRequest;

    /// <summary>One process of the coordinator's membership.</summary>
    /// <param name="Address">Its node's address.</param>
    /// <param name="Pid">Its OS process id.</param>
    /// <param name="Role"><c>coordinator</c>, <c>spawned</c>, <c>warm</c> (spawned, idle) or <c>joined</c>.</param>
    public sealed record NodeInfo(string Address, int Pid, string Role);

    /// <summary>An exception raised in another process, as text: its type's full name, message and stack trace.</summary>
    public sealed record RemoteError(string Type, string Message, string StackTrace);

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<ExpectWorker>("ne", static (w, m) => { w.String(m.NodeId); WriteRun(w, m.Target); }, static r => new ExpectWorker(r.String()!, ReadRun(r)))
        .Add<ExpectWarmWorker>("nw", static (w, m) => { w.String(m.NodeId); w.Actor(m.Notify); }, static r => new ExpectWarmWorker(r.String()!, r.Actor()))
        .Add<ForgetWorker>("nf", static (w, m) => w.String(m.NodeId), static r => new ForgetWorker(r.String()!))
        .Add<RegisterWorker>("nr", static (w, m) => { w.String(m.NodeId); w.Int(m.Pid); w.String(m.Secret); w.Actor(m.Worker); }, static r => new RegisterWorker(r.String()!, r.Int(), r.String()!, r.Actor()))
        .Add<WorkerAdmitted>("na", static (w, m) => w.String(m.NodeId), static r => new WorkerAdmitted(r.String()!))
        .Add<WorkerRejected>("nj", static (w, m) => w.String(m.Reason), static r => new WorkerRejected(r.String()!))
        .Add<RunTarget>("nt", WriteRun, ReadRun)
        .Add<WorkerUp>("nu", static (w, m) => { w.String(m.NodeId); w.Int(m.Pid); w.Actor(m.Worker); }, static r => new WorkerUp(r.String()!, r.Int(), r.Actor()))
        .Add<TargetExited>("nx", WriteExited, ReadExited)
        .Add<Evicted>("nE", static (w, m) => w.String(m.Reason), static r => new Evicted(r.String()!))
        .Add<StatusQuery>("nS", static (w, m) => w.Long(m.RequestId), static r => new StatusQuery(r.Long()))
        .Add<Join>("nJ", static (w, m) => { w.Long(m.RequestId); w.Int(m.Pid); w.String(m.Secret); w.Actor(m.Member); }, static r => new Join(r.Long(), r.Int(), r.String()!, r.Actor()));

    internal static void WriteNodes(WireWriter w, NodeInfo[] nodes)
    {
        w.Int(nodes.Length);
        foreach (var node in nodes)
        {
            w.String(node.Address);
            w.Int(node.Pid);
            w.String(node.Role);
        }
    }

    internal static NodeInfo[] ReadNodes(WireReader r)
    {
        var nodes = new NodeInfo[r.Int()];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = new NodeInfo(r.String()!, r.Int(), r.String()!);
        }

        return nodes;
    }

    private static void WriteRun(WireWriter w, RunTarget m)
    {
        w.String(m.NodeId);
        w.String(m.ProcessName);
        w.Bytes(m.Target);
        w.Actor(m.Owner);
        w.Bool(m.Daemon);
        w.Int(m.ParentPid);
        w.String(m.ParentName);
    }

    private static RunTarget ReadRun(WireReader r) => new(r.String()!, r.String()!, r.Bytes()!, r.Actor(), r.Byte() != 0, r.Int(), r.String()!);

    private static void WriteExited(WireWriter w, TargetExited m)
    {
        w.String(m.NodeId);
        w.Int(m.ExitCode);
        w.Bool(m.Error is not null);
        if (m.Error is { } error)
        {
            w.String(error.Type);
            w.String(error.Message);
            w.String(error.StackTrace);
        }
    }

    private static TargetExited ReadExited(WireReader r) =>
        new(r.String()!, r.Int(), r.Bool() ? new RemoteError(r.String()!, r.String()!, r.String()!) : null);
}
