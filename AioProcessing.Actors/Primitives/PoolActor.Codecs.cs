using AioProcessing.Actors.Serialization;

namespace AioProcessing.Actors.Primitives;

// The pool's wire codecs, the longest of any actor's (a pull carries the results of the chunks just run, a work
// answer several chunks, each optionally with its trace context), beside the actor's file rather than inside it.
public sealed partial class PoolActor
{
    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Submit>("os", static (w, m) =>
        {
            w.Long(m.RequestId);
            w.Int(m.Tasks);
            w.Bytes(m.Call);
            // The trace context, last and only when there is one: an untraced submit is what it always was.
            if (m.TraceParent is not null || m.TraceState is not null)
            {
                w.String(m.TraceParent);
                w.String(m.TraceState);
            }
        }, static r =>
        {
            var submit = new Submit(r.Long(), r.Int(), r.Bytes()!);
            return r.AtEnd ? submit : submit with { TraceParent = r.String(), TraceState = r.String() };
        })
        .Add<ChunkDone>("od", WriteDone, ReadDone)
        .Add<Pull>("op", static (w, m) =>
        {
            w.Long(m.RequestId);
            w.Int(m.Capacity);
            w.Int(m.Done.Length);
            foreach (var done in m.Done)
            {
                WriteDone(w, done);
            }
        }, static r =>
        {
            var (id, capacity) = (r.Long(), r.Int());
            var done = new ChunkDone[r.Int()];
            for (var i = 0; i < done.Length; i++)
            {
                done[i] = ReadDone(r);
            }

            return new Pull(id, done, capacity);
        })
        .Add<Work>("ow", static (w, m) =>
        {
            w.Long(m.RequestId);
            w.Int(m.Items.Length);
            foreach (var item in m.Items)
            {
                w.Long(item.ChunkId);
                w.Int(item.Tasks);
                w.Bytes(item.Call);
            }

            // The items' trace contexts after them all, and only when one carries any (as Submit's).
            if (Array.Exists(m.Items, static item => item.TraceParent is not null || item.TraceState is not null))
            {
                foreach (var item in m.Items)
                {
                    w.String(item.TraceParent);
                    w.String(item.TraceState);
                }
            }
        }, static r =>
        {
            var id = r.Long();
            var items = new WorkItem[r.Int()];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = new WorkItem(r.Long(), r.Int(), r.Bytes()!);
            }

            if (!r.AtEnd)
            {
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = items[i] with { TraceParent = r.String(), TraceState = r.String() };
                }
            }

            return new Work(id, items);
        })
        .Add<Load>("ol", static (w, m) => w.Long(m.RequestId), static r => new Load(r.Long()))
        .Add<LoadReply>("oL", static (w, m) => { w.Long(m.RequestId); w.Int(m.PendingTasks); w.Int(m.RunningTasks); w.Int(m.IdleWorkers); w.Bool(m.Closing); }, static r => new LoadReply(r.Long(), r.Int(), r.Int(), r.Int(), r.Byte() != 0))
        .Add<Close>("oc", static (w, m) => w.Long(m.RequestId), static r => new Close(r.Long()))
        .Add<Terminate>("ot", static (w, m) => w.Long(m.RequestId), static r => new Terminate(r.Long()));

    private static void WriteDone(WireWriter w, ChunkDone m)
    {
        w.Long(m.RequestId);
        w.Byte((byte)m.Status);
        w.Bytes(m.Result);
        w.String(m.ErrorType);
        w.String(m.ErrorMessage);
        w.String(m.ErrorStack);
    }

    private static ChunkDone ReadDone(WireReader r) => new(r.Long(), (ChunkStatus)r.Byte(), r.Bytes()!, r.String()!, r.String()!, r.String()!);
}
