using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// Who holds each end of a pipe, as the OS counts a file descriptor shared by processes: an end is closed for good
/// only when every copy of it is closed, in whichever process holds it, or its process is gone. Each end is kept by
/// one of its queues (its key: the queue it receives from, else the one it sends to) together with its
/// <see cref="EndSide"/>. A copy passed to another process (an argument, a queue item) is held in transit from the
/// moment it is encoded until the receiver claims it, so the sender may close its own copy at once, as Python's
/// parent closes its copy after starting the child.
/// </summary>
public static class PipeEnd
{
    /// <summary>Which end of a pipe a key queue keeps: the one that receives from it, or the one that sends to it.</summary>
    public enum EndSide : byte
    {
        /// <summary>The end that receives from the key queue (every duplex end; the reading end of a simplex pipe).</summary>
        Receiver = 0,

        /// <summary>The end that sends to the key queue (the writing end of a simplex pipe).</summary>
        Sender = 1,
    }

    /// <summary>The sender's process holds one more copy of the end; <paramref name="Other"/> is the end's other queue, if any.</summary>
    public sealed record Hold(EndSide Side, IActorRef? Other) : IAioMessage;

    /// <summary>The sender's process closed one of its copies.</summary>
    public sealed record Release(EndSide Side) : IAioMessage;

    /// <summary>A copy was encoded to be sent elsewhere: it is held in transit under <paramref name="Token"/>.</summary>
    public sealed record Transfer(EndSide Side, long Token, IActorRef? Other) : IAioMessage;

    /// <summary>The sender's process received the copy in transit under <paramref name="Token"/>: it now holds it.</summary>
    public sealed record Claim(EndSide Side, long Token) : IAioMessage;

    /// <summary>The copy in transit under <paramref name="Token"/> will never be received (its process ended without it).</summary>
    public sealed record Drop(EndSide Side, long Token) : IAioMessage;

    private static IActorRef? Optional(IActorRef actor) => actor.IsNobody() ? null : actor;

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Hold>("yh", static (w, m) => { w.Byte((byte)m.Side); w.Actor(m.Other); }, static r => new Hold((EndSide)r.Byte(), Optional(r.Actor())))
        .Add<Release>("yr", static (w, m) => w.Byte((byte)m.Side), static r => new Release((EndSide)r.Byte()))
        .Add<Transfer>("yt", static (w, m) => { w.Byte((byte)m.Side); w.Long(m.Token); w.Actor(m.Other); }, static r => new Transfer((EndSide)r.Byte(), r.Long(), Optional(r.Actor())))
        .Add<Claim>("yc", static (w, m) => { w.Byte((byte)m.Side); w.Long(m.Token); }, static r => new Claim((EndSide)r.Byte(), r.Long()))
        .Add<Drop>("yd", static (w, m) => { w.Byte((byte)m.Side); w.Long(m.Token); }, static r => new Drop((EndSide)r.Byte(), r.Long()));
}

/// <summary>
/// The copies of the pipe ends a queue actor keeps (see <see cref="PipeEnd"/>). When the last copy of an end goes,
/// <c>close</c> is called with the end's other queue: the queue actor completes itself and that one.
/// </summary>
internal sealed class PipeEndHolders(Action<IActorRef?> close)
{
    private readonly Dictionary<PipeEnd.EndSide, End> _ends = [];

    public void Hold(PipeEnd.EndSide side, Address holder, IActorRef? other)
    {
        var end = Of(side, other);
        end.Holds[holder] = end.Holds.GetValueOrDefault(holder) + 1;
    }

    public void Release(PipeEnd.EndSide side, Address holder)
    {
        if (_ends.TryGetValue(side, out var end) && end.Holds.TryGetValue(holder, out var count))
        {
            if (count > 1)
            {
                end.Holds[holder] = count - 1;
            }
            else
            {
                end.Holds.Remove(holder);
            }

            CloseIfUnheld(end);
        }
    }

    public void Transfer(PipeEnd.EndSide side, long token, IActorRef? other) => Of(side, other).InTransit.Add(token);

    public void Claim(PipeEnd.EndSide side, long token, Address holder)
    {
        // A claim without its transfer (a value encoded before ends were counted) still makes a holder.
        Of(side, null).InTransit.Remove(token);
        Hold(side, holder, null);
    }

    public void Drop(PipeEnd.EndSide side, long token)
    {
        if (_ends.TryGetValue(side, out var end) && end.InTransit.Remove(token))
        {
            CloseIfUnheld(end);
        }
    }

    /// <summary>The process at <paramref name="node"/> is gone: so are its copies, as its descriptors are at exit.</summary>
    public void NodeDown(Address node)
    {
        foreach (var end in _ends.Values)
        {
            if (end.Holds.Remove(node))
            {
                CloseIfUnheld(end);
            }
        }
    }

    private End Of(PipeEnd.EndSide side, IActorRef? other)
    {
        if (!_ends.TryGetValue(side, out var end))
        {
            _ends[side] = end = new End();
        }

        end.Other ??= other;
        return end;
    }

    private void CloseIfUnheld(End end)
    {
        if (!end.Closed && end.Holds.Count == 0 && end.InTransit.Count == 0)
        {
            end.Closed = true;
            close(end.Other);
        }
    }

    private sealed class End
    {
        public Dictionary<Address, int> Holds { get; } = [];

        public HashSet<long> InTransit { get; } = [];

        public IActorRef? Other { get; set; }

        public bool Closed { get; set; }
    }
}
