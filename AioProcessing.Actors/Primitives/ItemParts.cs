using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// An item larger than <see cref="QueueActor.BatchBytes"/> travels alone, cut in parts: the parts go ahead under the
/// request id as <see cref="QueueActor.ItemPart"/>s and the message that completes the request carries the last one.
/// This cuts and joins items, and keeps, per sending process, the parts that wait for their put.
/// </summary>
internal sealed class ItemParts
{
    private readonly Dictionary<(Address Node, long RequestId), List<byte[]>> _waiting = [];

    /// <summary>Cuts <paramref name="item"/> into parts of at most <see cref="QueueActor.BatchBytes"/>.</summary>
    public static byte[][] Split(byte[] item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return [.. item.Chunk(QueueActor.BatchBytes)];
    }

    /// <summary>The item whose parts were <paramref name="parts"/> and then <paramref name="last"/>.</summary>
    public static byte[] Join(IReadOnlyList<byte[]> parts, byte[] last)
    {
        var whole = new byte[parts.Sum(p => (long)p.Length) + last.Length];
        var at = 0;
        foreach (var part in parts.Append(last))
        {
            part.CopyTo(whole, at);
            at += part.Length;
        }

        return whole;
    }

    /// <summary>Keeps <paramref name="part"/>, sent ahead by <paramref name="node"/>, until its put arrives.</summary>
    public void Add(Address node, QueueActor.ItemPart part)
    {
        var key = (node, part.RequestId);
        if (!_waiting.TryGetValue(key, out var parts))
        {
            _waiting[key] = parts = [];
        }

        parts.Add(part.Bytes);
    }

    /// <summary><paramref name="put"/> with its item whole, if its parts went ahead; as it is otherwise.</summary>
    public QueueActor.Put Assemble(Address node, QueueActor.Put put) =>
        put.Assembled && _waiting.Remove((node, put.RequestId), out var parts)
            ? put with { Items = [Join(parts, put.Items[0])], Assembled = false }
            : put;

    /// <summary>Drops what <paramref name="node"/> sent ahead: its process is gone, so its puts will not come.</summary>
    public void Forget(Address node)
    {
        foreach (var key in _waiting.Keys.Where(k => k.Node == node).ToList())
        {
            _waiting.Remove(key);
        }
    }
}
