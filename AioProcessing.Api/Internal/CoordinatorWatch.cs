using Akka.Actor;
using Akka.Remote;

namespace AioProcessing.Internal;

/// <summary>
/// Lives in every process that joined a coordinator (not in the coordinator's own), as the member the coordinator
/// watches, and reports, once, that the coordinator is lost: DeathWatch on its node manager fired (process gone,
/// quarantined, or unreachable past the failure detector), or, for a node the coordinator spawned (which never
/// reconnects), the connection to it dropped.
/// </summary>
internal sealed class CoordinatorWatch : ReceiveActor
{
    private readonly IActorRef _coordinator;
    private readonly bool _connectionIsLife;
    private readonly Action<string> _lost;

    public CoordinatorWatch(IActorRef coordinator, bool connectionIsLife, Action<string> lost)
    {
        _coordinator = coordinator;
        _connectionIsLife = connectionIsLife;
        _lost = lost;
        Receive<Terminated>(_ => Lost("DeathWatch reported the coordinator gone"));
        Receive<Actors.Nodes.NodeProtocol.Evicted>(m => Lost("the coordinator declared this process dead (" + m.Reason + ") and gave back what it held"));
        Receive<DisassociatedEvent>(m => m.RemoteAddress == _coordinator.Path.Address, _ => Lost("the connection to the coordinator dropped"));
        Receive<DisassociatedEvent>(_ => { });
    }

    public static Props Props(IActorRef coordinator, bool connectionIsLife, Action<string> lost) =>
        Akka.Actor.Props.Create(() => new CoordinatorWatch(coordinator, connectionIsLife, lost));

    protected override void PreStart()
    {
        Context.Watch(_coordinator);
        if (_connectionIsLife)
        {
            Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        }
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Lost(string why)
    {
        _lost(why);
        Context.Stop(Self);
    }
}
