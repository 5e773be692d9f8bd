using System.Diagnostics;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// The items a <see cref="QueueActor"/> has lent to each consumer process (prefetch), oldest first, until that process
/// reports them taken (<see cref="Settle"/>), gives them back (<see cref="TakeBackNewest"/>) or dies
/// (<see cref="Forfeit"/>). <see cref="Count"/> is kept beside the lists so that the queue's room and count checks need
/// not walk them.
/// </summary>
internal sealed class QueueLoans
{
    private readonly Dictionary<Address, LinkedList<byte[]>> _lent = [];

    /// <summary>The items lent to all processes together.</summary>
    public int Count { get; private set; }

    /// <summary>Lends <paramref name="items"/>, in order, after what <paramref name="node"/> already holds.</summary>
    public void Lend(Address node, byte[][] items)
    {
        if (!_lent.TryGetValue(node, out var lent))
        {
            _lent[node] = lent = new LinkedList<byte[]>();
        }

        foreach (var item in items)
        {
            lent.AddLast(item);
        }

        Count += items.Length;
        AssertInvariants();
    }

    /// <summary>The process at <paramref name="node"/> took <paramref name="count"/> of its items, oldest first: they are gone for good.</summary>
    /// <returns>How many were lent to it (at most <paramref name="count"/>).</returns>
    public int Settle(Address node, int count)
    {
        if (count <= 0 || !_lent.TryGetValue(node, out var lent))
        {
            return 0;
        }

        var settled = 0;
        for (; settled < count && lent.First is not null; settled++)
        {
            lent.RemoveFirst();
        }

        Count -= settled;
        RemoveIfEmpty(node, lent);
        return settled;
    }

    /// <summary>
    /// The <paramref name="count"/> newest items lent to <paramref name="node"/>, in order, no longer lent: the items a
    /// process gives back are the newest it holds.
    /// </summary>
    public LinkedList<byte[]> TakeBackNewest(Address node, int count)
    {
        var back = new LinkedList<byte[]>();
        if (!_lent.TryGetValue(node, out var lent))
        {
            return back;
        }

        for (var i = 0; i < count && lent.Last is { } last; i++)
        {
            lent.RemoveLast();
            back.AddFirst(last.Value);
        }

        Count -= back.Count;
        RemoveIfEmpty(node, lent);
        return back;
    }

    /// <summary>Everything lent to <paramref name="node"/>, in order, no longer lent (its process is gone); null if nothing was.</summary>
    public LinkedList<byte[]>? Forfeit(Address node)
    {
        if (!_lent.Remove(node, out var lent))
        {
            return null;
        }

        Count -= lent.Count;
        AssertInvariants();
        return lent;
    }

    private void RemoveIfEmpty(Address node, LinkedList<byte[]> lent)
    {
        if (lent.Count == 0)
        {
            _lent.Remove(node);
        }

        AssertInvariants();
    }

    // As System.Threading.Channels' BoundedChannel asserts its counts: checked after every change, in Debug builds only.
    [Conditional("DEBUG")]
    private void AssertInvariants() =>
        Debug.Assert(Count == _lent.Values.Sum(l => l.Count) && Count >= 0, $"lent count {Count} differs from the items lent ({_lent.Values.Sum(l => l.Count)})");
}
