using AioProcessing.Node.Lane;
using Akka.Actor;
using Akka.Remote;

namespace AioProcessing.Internal;

/// <summary>
/// Lives in every process that joined a coordinator (not in the coordinator's own), as the member the coordinator
/// watches, and reports, once, that the coordinator is lost: for a process that joined, DeathWatch on its node
/// manager fired (process gone, quarantined, or unreachable past the failure detector); or the connection to it
/// dropped and then either, for a node the coordinator spawned (which never reconnects), at once, or, for a process
/// that joined, when a probe finds nobody there (its connection dropping is not its death: it may be on another machine, but a live
/// coordinator answers at once, and a dead one's port refuses the probe's connection). A spawned node with a lane open
/// to the coordinator hears its end from the lane instead (<c>CoordinatorLink</c>, <c>WorkerNode</c>) and lets a dropped
/// connection pass: Akka.Remote drops the association of two live processes too.
/// </summary>
internal sealed class CoordinatorWatch : ReceiveActor, IWithTimers
{
    /// <summary>How long the coordinator has to answer the probe sent when the connection to it dropped.</summary>
    internal static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly IActorRef _coordinator;
    private readonly bool _connectionIsLife;
    private readonly Action<string> _lost;
    private long _probe;

    public CoordinatorWatch(IActorRef coordinator, bool connectionIsLife, Action<string> lost)
    {
        _coordinator = coordinator;
        _connectionIsLife = connectionIsLife;
        _lost = lost;
        Receive<Terminated>(_ => Lost("DeathWatch reported the coordinator gone"));
        Receive<Actors.Nodes.NodeProtocol.Evicted>(m => Lost("the coordinator declared this process dead (" + m.Reason + ") and gave back what it held"));
        Receive<DisassociatedEvent>(m => m.RemoteAddress == _coordinator.Path.Address, _ => OnDisassociated());
        Receive<DisassociatedEvent>(_ => { });
        Receive<ActorIdentity>(m =>
        {
            if (m.MessageId is not long probe || probe != _probe)
            {
                return;
            }

            // An undeliverable probe comes back unanswered from dead letters: nobody is there.
            if (m.Subject is null || m.Subject.IsNobody())
            {
                Lost("the connection to the coordinator dropped and it cannot be reached");
            }
            else
            {
                Timers.Cancel(ProbeKey);
            }
        });
        Receive<ProbeExpired>(m =>
        {
            if (m.Probe == _probe)
            {
                Lost($"the connection to the coordinator dropped and it did not answer within {ProbeTimeout.TotalSeconds:0.#} s");
            }
        });
    }

    private static object ProbeKey { get; } = new();

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef coordinator, bool connectionIsLife, Action<string> lost) =>
        Akka.Actor.Props.Create(() => new CoordinatorWatch(coordinator, connectionIsLife, lost));

    protected override void PreStart()
    {
        // A spawned node's coordinator is its parent on the same host: the connection dropping says it is gone
        // (and standard input closing, in AioProcessing.Node's Program), so no DeathWatch. Watching would make this
        // node heartbeat the coordinator every second, on top of the coordinator's own heartbeats to it: half of
        // an idle worker's remoting traffic.
        if (!_connectionIsLife)
        {
            Context.Watch(_coordinator);
        }

        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void OnDisassociated()
    {
        if (_connectionIsLife)
        {
            // With a lane open, its closing says the coordinator ended: Akka.Remote also drops the association of two
            // live processes, and associates again on the next message.
            if (!LaneClient.IsOpen(Context.System, _coordinator.Path.Address))
            {
                Lost("the connection to the coordinator dropped");
            }

            return;
        }

        _probe++;
        _coordinator.Tell(new Identify(_probe), Self);
        Timers.StartSingleTimer(ProbeKey, new ProbeExpired(_probe), ProbeTimeout);
    }

    private void Lost(string why)
    {
        _lost(why);
        Context.Stop(Self);
    }

    private sealed record ProbeExpired(long Probe);
}
