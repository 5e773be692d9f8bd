using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// A queue's unfinished tasks, as Python's <c>JoinableQueue</c> counts them: every item put is one until it is marked
/// done, and joiners wait until none is left. Items an immediate shutdown drops count as done, as Python's
/// <c>shutdown(immediate=True)</c> does, so that a join does not wait for them.
/// </summary>
/// <param name="joiners">The queue actor's waiters for <see cref="QueueActor.JoinTasks"/> (it withdraws them on timeout, cancellation and node loss).</param>
internal sealed class UnfinishedTasks(WaitQueue<bool> joiners)
{
    private long _count;

    /// <summary><paramref name="count"/> items were put: as many tasks more.</summary>
    public void Add(int count) => _count += count;

    /// <summary>Marks <paramref name="count"/> tasks done; false, changing nothing, when fewer are unfinished.</summary>
    public bool TryMarkDone(int count)
    {
        if (count < 1 || count > _count)
        {
            return false;
        }

        _count -= count;
        ReleaseJoinersIfDone();
        return true;
    }

    /// <summary><paramref name="count"/> items were dropped: their tasks are done.</summary>
    public void Discard(int count)
    {
        _count = Math.Max(0, _count - count);
        ReleaseJoinersIfDone();
    }

    /// <summary>Answers <paramref name="request"/> now if no task is left (or it does not wait), or keeps it waiting.</summary>
    public void Join(QueueActor.JoinTasks request, IActorRef sender)
    {
        if (_count == 0)
        {
            sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.Granted));
        }
        else if (request.TimeoutMs == 0)
        {
            sender.Tell(new WaitProtocol.Result(request.RequestId, WaitProtocol.Outcome.TimedOut));
        }
        else
        {
            joiners.Enqueue(request.RequestId, sender, true, request.TimeoutMs);
        }
    }

    private void ReleaseJoinersIfDone()
    {
        if (_count == 0)
        {
            while (joiners.TryDequeue(out var joiner))
            {
                joiner.ReplyTo.Tell(new WaitProtocol.Result(joiner.RequestId, WaitProtocol.Outcome.Granted));
            }
        }
    }
}
