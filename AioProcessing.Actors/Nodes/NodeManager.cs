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
public sealed class NodeManager : ReceiveActor, IWithTimers
{
    // How long a joined node whose connection dropped has to answer a probe before it is declared dead. Its
    // connection dropping is not its death (it may be on another machine), but a live node answers at once.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "aio-nodes";

    /// <summary>The actor's path relative to the coordinator's address.</summary>
    public const string Path = "/user/" + Name;

    private readonly string _secret;
    private readonly Dictionary<string, NodeProtocol.ExpectWorker> _expected = [];
    private readonly Dictionary<string, IActorRef> _warmExpected = [];
    private readonly Dictionary<string, NodeProtocol.RegisterWorker> _idle = [];
    private readonly Dictionary<IActorRef, string> _workers = [];
    private readonly Dictionary<IActorRef, int> _pids = [];
    private readonly Dictionary<IActorRef, int> _joined = [];

    // The processes with an open same-host lane, and what closes it.
    private readonly Dictionary<Address, Action> _lanes = [];
    private readonly UndeliveredWatches _undelivered = new();
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
            if (_idle.Remove(m.NodeId, out var idle))
            {
                // A ready node is not watched (see OnRegister): no Terminated will remove it.
                _workers.Remove(idle.Worker);
                _pids.Remove(idle.Worker);
            }
        });
        Receive<NodeProtocol.RegisterWorker>(OnRegister);
        Receive<NodeProtocol.Join>(OnJoin);
        Receive<NodeProtocol.StatusQuery>(OnStatus);
        Receive<Terminated>(m =>
        {
            if (_workers.ContainsKey(m.ActorRef) && _undelivered.ShouldRewatch(m, _lanes.ContainsKey(m.ActorRef.Path.Address)))
            {
                _log.Debug("The watch of {0} was not delivered (its association dropped); its lane is open, so it is watched again.", m.ActorRef.Path);
                var rewatch = new Rewatch(m.ActorRef);
                Timers.StartSingleTimer(rewatch, rewatch, UndeliveredWatches.RewatchDelay);
            }
            else if (_workers.Remove(m.ActorRef, out var nodeId))
            {
                _pids.Remove(m.ActorRef);
                _idle.Remove(nodeId);
                Down(m.ActorRef.Path.Address);
            }
            else if (_joined.ContainsKey(m.ActorRef))
            {
                Evict(m.ActorRef, "DeathWatch declared it dead");
            }
        });
        Receive<ActorIdentity>(m =>
        {
            // An undeliverable probe comes back unanswered from dead letters: the node cannot be reached.
            if ((m.Subject is null || m.Subject.IsNobody()) && m.MessageId is IActorRef member && _joined.ContainsKey(member))
            {
                Evict(member, "its connection dropped and it cannot be reached");
            }
            else
            {
                Timers.Cancel(m.MessageId);
            }
        });
        Receive<ProbeExpired>(m =>
        {
            if (_joined.ContainsKey(m.Member))
            {
                Evict(m.Member, $"its connection dropped and it did not answer within {ProbeTimeout.TotalSeconds:0.#} s");
            }
        });
        Receive<Rewatch>(m =>
        {
            if (_lanes.ContainsKey(m.Member.Path.Address) && _workers.ContainsKey(m.Member))
            {
                Context.Watch(m.Member);
            }
        });
        Receive<NodeProtocol.LinkOpened>(m => _lanes[m.Node] = m.Close);
        // Akka will not talk to a quarantined process again (the failure detector found it silent, or the association
        // broke beyond repair): its open lane is no proof of life any more. Closing it ends the process as a closed lane
        // does (LinkClosed below), whichever of Akka's Terminated messages for it came first.
        Receive<QuarantinedEvent>(m =>
        {
            if (_lanes.Remove(m.Address, out var close))
            {
                _log.Info("{0} was quarantined; closing its lane.", m.Address);
                close();
            }
        });
        Receive<NodeProtocol.LinkClosed>(m =>
        {
            _lanes.Remove(m.Node);
            if (_workers.Keys.Any(w => w.Path.Address == m.Node))
            {
                Down(m.Node);
            }

            foreach (var member in _joined.Keys.Where(j => j.Path.Address == m.Node).ToList())
            {
                Evict(member, "its lane closed");
            }
        });
        // A spawned worker's connection closes the moment its process dies, well before DeathWatch would say so;
        // workers never reconnect, so the closed connection is its death. Unless the worker has a lane: Akka.Remote
        // also drops the association of two live processes, and the lane, which closes only when its process ends,
        // says that instead (LinkClosed), DeathWatch the rest.
        Receive<DisassociatedEvent>(m =>
        {
            if (_workers.Keys.Any(w => w.Path.Address == m.RemoteAddress))
            {
                if (_lanes.ContainsKey(m.RemoteAddress))
                {
                    _log.Debug("The association with worker {0} dropped; its lane is open, so it lives.", m.RemoteAddress);
                }
                else
                {
                    Down(m.RemoteAddress);
                }
            }

            foreach (var member in _joined.Keys.Where(j => j.Path.Address == m.RemoteAddress))
            {
                member.Tell(new Identify(member), Self);
                Timers.StartSingleTimer(member, new ProbeExpired(member), ProbeTimeout);
            }
        });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    // The worker count's reading, registered for this actor's life.
    private IDisposable? _workerLevel;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(QuarantinedEvent));
        _workerLevel = Diagnostics.Instruments.Register("aio.workers", null, Diagnostics.Instruments.CoordinatorOf(Context.System), () => _workers.Count + _joined.Count);
    }

    /// <inheritdoc />
    protected override void PostStop() => _workerLevel?.Dispose();

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

        if (_workers.TryGetValue(m.Worker, out var admitted) && admitted == m.NodeId)
        {
            // A repeat sent before our answer reached the worker.
            m.Worker.Tell(new NodeProtocol.WorkerAdmitted(m.NodeId));
            return;
        }

        if (_expected.Remove(m.NodeId, out var expect))
        {
            Admit(m);
            Hand(m, expect.Target);
        }
        else if (_warmExpected.Remove(m.NodeId, out var notify))
        {
            // Not DeathWatched while it waits: each watched node is heartbeaten every second, which wakes both
            // processes, and a ready node runs nothing a frozen process could hold up. Its death is its process's
            // exit, which its launcher sees (and answers with ForgetWorker); the watch begins when a start takes it.
            Admit(m, watch: false);
            _idle[m.NodeId] = m;
            notify.Tell(new NodeProtocol.WorkerUp(m.NodeId, m.Pid, m.Worker));
        }
        else
        {
            _log.Warning("Refused worker node {0}: no process is waiting for it.", m.NodeId);
            m.Worker.Tell(new NodeProtocol.WorkerRejected("no process is waiting for node " + m.NodeId));
        }
    }

    private void OnJoin(NodeProtocol.Join m)
    {
        if (!CryptographicEquals(m.Secret, _secret))
        {
            _log.Warning("Refused a node joining from {0} (pid {1}): wrong secret.", m.Member.Path.Address, m.Pid);
            WaitProtocol.Fail(Sender, m.RequestId, WaitProtocol.FailureKind.Invalid, "the coordinator refused the join: wrong secret", Context);
            return;
        }

        _joined[m.Member] = m.Pid;
        Context.Watch(m.Member);
        WaitProtocol.Acknowledge(Sender, m.RequestId);
    }

    private void Evict(IActorRef member, string why)
    {
        _joined.Remove(member);
        Context.Unwatch(member);
        Timers.Cancel(member);
        _log.Info("Joined node {0} is down: {1}.", member.Path.Address, why);
        member.Tell(new NodeProtocol.Evicted(why));
        Down(member.Path.Address);
    }

    // What the process at node held is given back. A lane it still has is closed: the process takes that as the
    // coordinator's end (a spawned worker exits), since with a lane it lets a dropped association pass.
    private void Down(Address node)
    {
        if (_lanes.Remove(node, out var close))
        {
            close();
        }

        Context.System.EventStream.Publish(new NodeProtocol.NodeDown(node));
    }

    private void OnExpect(NodeProtocol.ExpectWorker m)
    {
        // A warm node that already waits idle gets its target at once; any other waits for its registration.
        if (_idle.Remove(m.NodeId, out var idle))
        {
            Context.Watch(idle.Worker);
            Hand(idle, m.Target);
        }
        else
        {
            _expected[m.NodeId] = m;
        }
    }

    private void OnStatus(NodeProtocol.StatusQuery m)
    {
        var from = Sender.Path.Address;
        if (!from.HasLocalScope && !_joined.Keys.Any(j => j.Path.Address == from) && !_workers.Keys.Any(w => w.Path.Address == from))
        {
            _log.Warning("Refused a status query from {0}: it has not joined.", from);
            WaitProtocol.Fail(Sender, m.RequestId, WaitProtocol.FailureKind.Invalid, "status is only given to processes that joined with the coordinator's secret", Context);
            return;
        }

        var self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
        NodeProtocol.NodeInfo[] nodes =
        [
            new(self, Environment.ProcessId, "coordinator"),
            .. _workers.Select(w => new NodeProtocol.NodeInfo(w.Key.Path.Address.ToString(), _pids.GetValueOrDefault(w.Key), _idle.ContainsKey(w.Value) ? "warm" : "spawned")),
            .. _joined.Select(j => new NodeProtocol.NodeInfo(j.Key.Path.Address.ToString(), j.Value, "joined")),
        ];
        // The host knows the primitives; it answers the querier with both.
        Context.ActorSelection(PrimitiveHost.Path).Tell(new PrimitiveHost.Census(m.RequestId, nodes), Sender);
    }

    private void Admit(NodeProtocol.RegisterWorker m, bool watch = true)
    {
        _workers[m.Worker] = m.NodeId;
        _pids[m.Worker] = m.Pid;
        if (watch)
        {
            Context.Watch(m.Worker);
        }

        m.Worker.Tell(new NodeProtocol.WorkerAdmitted(m.NodeId));
    }

    private static void Hand(NodeProtocol.RegisterWorker worker, NodeProtocol.RunTarget target)
    {
        worker.Worker.Tell(target);
        target.Owner.Tell(new NodeProtocol.WorkerUp(worker.NodeId, worker.Pid, worker.Worker));
    }

    private sealed record ProbeExpired(IActorRef Member);

    // Its own timer key: a record, equal for the same member.
    private sealed record Rewatch(IActorRef Member);

    private static bool CryptographicEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));
}
