using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;

namespace AioProcessing.Actors.Nodes;

/// <summary>
/// The coordinator's registry of worker nodes, at <see cref="Path"/>. It admits a node that presents the
/// coordinator's secret and was announced by an owner, hands it its target, and watches it: when a node's
/// connection drops or DeathWatch declares it dead, it publishes <see cref="NodeProtocol.NodeDown"/>.
/// </summary>
public sealed class NodeManager : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "aio-nodes";

    /// <summary>The actor's path relative to the coordinator's address.</summary>
    public const string Path = "/user/" + Name;

    private readonly string _secret;
    private readonly Dictionary<string, NodeProtocol.ExpectWorker> _expected = [];
    private readonly Dictionary<string, IActorRef> _warmExpected = [];
    private readonly Dictionary<string, NodeProtocol.RegisterWorker> _idle = [];
    private readonly Dictionary<IActorRef, string> _workers = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Creates the manager; nodes must present <paramref name="secret"/> to register.</summary>
    public NodeManager(string secret)
    {
        _secret = secret;
        Receive<NodeProtocol.ExpectWorker>(OnExpect);
        Receive<NodeProtocol.ExpectWarmWorker>(m => _warmExpected[m.NodeId] = m.Notify);
        Receive<NodeProtocol.ForgetWorker>(m =>
        {
            _expected.Remove(m.NodeId);
            _warmExpected.Remove(m.NodeId);
            _idle.Remove(m.NodeId);
        });
        Receive<NodeProtocol.RegisterWorker>(OnRegister);
        Receive<Terminated>(m =>
        {
            if (_workers.Remove(m.ActorRef, out var nodeId))
            {
                _idle.Remove(nodeId);
                Context.System.EventStream.Publish(new NodeProtocol.NodeDown(m.ActorRef.Path.Address));
            }
        });
        // A spawned worker's connection closes the moment its process dies, well before DeathWatch would say so;
        // workers never reconnect, so the closed connection is its death.
        Receive<DisassociatedEvent>(m =>
        {
            if (_workers.Keys.Any(w => w.Path.Address == m.RemoteAddress))
            {
                Context.System.EventStream.Publish(new NodeProtocol.NodeDown(m.RemoteAddress));
            }
        });
    }

    /// <inheritdoc />
    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));

    /// <summary>Props for the manager.</summary>
    public static Props Props(string secret) => Akka.Actor.Props.Create(() => new NodeManager(secret));

    private void OnRegister(NodeProtocol.RegisterWorker m)
    {
        if (!CryptographicEquals(m.Secret, _secret))
        {
            _log.Warning("Refused worker node {0} at {1}: wrong secret.", m.NodeId, m.Worker.Path.Address);
            m.Worker.Tell(new NodeProtocol.WorkerRejected("wrong secret"));
            return;
        }

        if (_expected.Remove(m.NodeId, out var expect))
        {
            Admit(m);
            Hand(m, expect.Target);
        }
        else if (_warmExpected.Remove(m.NodeId, out var notify))
        {
            Admit(m);
            _idle[m.NodeId] = m;
            notify.Tell(new NodeProtocol.WorkerUp(m.NodeId, m.Pid, m.Worker));
        }
        else
        {
            _log.Warning("Refused worker node {0}: no process is waiting for it.", m.NodeId);
            m.Worker.Tell(new NodeProtocol.WorkerRejected("no process is waiting for node " + m.NodeId));
        }
    }

    private void OnExpect(NodeProtocol.ExpectWorker m)
    {
        // A warm node that already waits idle gets its target at once; any other waits for its registration.
        if (_idle.Remove(m.NodeId, out var idle))
        {
            Hand(idle, m.Target);
        }
        else
        {
            _expected[m.NodeId] = m;
        }
    }

    private void Admit(NodeProtocol.RegisterWorker m)
    {
        _workers[m.Worker] = m.NodeId;
        Context.Watch(m.Worker);
    }

    private static void Hand(NodeProtocol.RegisterWorker worker, NodeProtocol.RunTarget target)
    {
        worker.Worker.Tell(target);
        target.Owner.Tell(new NodeProtocol.WorkerUp(worker.NodeId, worker.Pid, worker.Worker));
    }

    private static bool CryptographicEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));
}

/// <summary>
/// Receives the life events of one started node in the process that started it and hands them to
/// <see cref="IProcessObserver"/>. It acknowledges <see cref="NodeProtocol.TargetExited"/> so the worker knows its
/// report arrived before its process ends.
/// </summary>
public sealed class ProcessOwner : ReceiveActor
{
    /// <summary>Creates the owner actor for one node.</summary>
    public ProcessOwner(IProcessObserver observer)
    {
        Receive<NodeProtocol.WorkerUp>(m =>
        {
            Context.Watch(m.Worker);
            observer.OnWorkerUp(m.Pid);
        });
        Receive<NodeProtocol.TargetExited>(m =>
        {
            Sender.Tell(new WaitProtocol.Ack(WaitProtocol.NoReply));
            observer.OnTargetExited(m.ExitCode, m.Error);
        });
        Receive<Terminated>(_ =>
        {
            observer.OnWorkerLost();
            Context.Stop(Self);
        });
    }

    /// <summary>Props for an owner reporting to <paramref name="observer"/>.</summary>
    public static Props Props(IProcessObserver observer) => Akka.Actor.Props.Create(() => new ProcessOwner(observer));
}

/// <summary>Callbacks of <see cref="ProcessOwner"/>; called on the actor's thread, so they must not block.</summary>
public interface IProcessObserver
{
    /// <summary>The node registered and received its target.</summary>
    void OnWorkerUp(int pid);

    /// <summary>The target finished with <paramref name="exitCode"/>.</summary>
    void OnTargetExited(int exitCode, NodeProtocol.RemoteError? error);

    /// <summary>The coordinator lost the node (it exited or its connection failed).</summary>
    void OnWorkerLost();
}
