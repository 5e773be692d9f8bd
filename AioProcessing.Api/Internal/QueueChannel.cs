using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// This process's end of one queue actor, shared by every facade on it here (<see cref="ProcessLedger.QueueChannelOf"/>).
/// It keeps the data path off the round trip with two state machines that share nothing but the actor:
/// <see cref="Writer"/> writes puts behind and coalesces them, <see cref="Reader"/> fetches items ahead and
/// reports their takes later. Each has its own lock, so a producer and a consumer in one process never wait on
/// each other here.
/// </summary>
internal sealed class QueueChannel
{
    private readonly AioContext _context;
    private readonly IActorRef _actor;

    public QueueChannel(AioContext context, IActorRef actor)
    {
        _context = context;
        _actor = actor;
        Writer = new QueueWriter(context, actor, this);
        Reader = new QueueReader(context, actor);
    }

    /// <summary>The put side: written-behind batches, or one request per put to a bounded queue.</summary>
    public QueueWriter Writer { get; }

    /// <summary>The take side: prefetched items lent by the coordinator, and the reports of their takes.</summary>
    public QueueReader Reader { get; }

    /// <summary>The queue's item count and bound, asked of the coordinator.</summary>
    public Task<QueueActor.CountReply> CountAsync(CancellationToken ct) =>
        _context.Link.AskAsync<QueueActor.CountReply>(_actor, new QueueActor.CountQuery(CoordinatorLink.NextId()), ct);
}
