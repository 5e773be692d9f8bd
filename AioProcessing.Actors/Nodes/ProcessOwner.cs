using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Actors.Nodes;

/// <summary>
/// Receives the life events of one started node in the process that started it and hands them to
/// <see cref="IProcessObserver"/>. It acknowledges <see cref="NodeProtocol.TargetExited"/> so the worker knows its
/// report arrived before its process ends.
/// </summary>
public sealed class ProcessOwner : ReceiveActor
{
    /// <summary>Creates the owner actor for one node, which DeathWatches the node once it is up.</summary>
    public ProcessOwner(IProcessObserver observer)
        : this(observer, true)
    {
    }

    /// <summary>Creates the owner actor for one node. A public constructor: Akka creates actors through public ones only.</summary>
    /// <param name="observer">What it reports to.</param>
    /// <param name="watchWorker">
    /// Whether it DeathWatches the node once up: false for a ready node that waits for a start (its process's exit is
    /// its death, and a watched node costs a heartbeat a second in both processes); the owner of the start that takes
    /// it watches it.
    /// </param>
    public ProcessOwner(IProcessObserver observer, bool watchWorker)
    {
        Receive<NodeProtocol.WorkerUp>(m =>
        {
            if (watchWorker)
            {
                Context.Watch(m.Worker);
            }

            observer.OnWorkerUp(m.Pid);
        });
        Receive<NodeProtocol.TargetExited>(m =>
        {
            Sender.Tell(new WaitProtocol.Ack(WaitProtocol.NoReply));
            observer.OnTargetExited(m.ExitCode, m.Error);
        });
        // Not stopped here: Akka also reports a watch it could not deliver (the association dropped, the node alive)
        // as Terminated, and the node's exit report may still come. Its process's exit stops this owner.
        Receive<Terminated>(_ => observer.OnWorkerLost());
    }

    /// <summary>Props for an owner reporting to <paramref name="observer"/>.</summary>
    public static Props Props(IProcessObserver observer) => Props(observer, watchWorker: true);

    /// <summary>Props for an owner reporting to <paramref name="observer"/> that watches its node only if <paramref name="watchWorker"/>.</summary>
    public static Props Props(IProcessObserver observer, bool watchWorker) => Akka.Actor.Props.Create(() => new ProcessOwner(observer, watchWorker));
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
