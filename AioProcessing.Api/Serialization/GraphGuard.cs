using MessagePack;
using MessagePack.Formatters;

namespace AioProcessing.Serialization;

/// <summary>
/// Refuses, while a value is written, the two shapes that would otherwise crash the process or lose the value: a
/// cycle (an object reached again inside itself: encoding by copy would recurse until the stack overflows, which
/// .NET cannot catch) and nesting deeper than <see cref="MaxDepth"/> levels (the reader refuses to go deeper than
/// MessagePack's untrusted-data limit of 500, so a deeper value would be accepted here and fail where it is read).
/// Each formatter that can nest counts one level; those declared <see cref="object"/> or by an interface count one
/// more for the type name they write, so the reader's count never exceeds the writer's.
/// </summary>
internal static class GraphGuard
{
    /// <summary>The deepest a value sent to another process may nest.</summary>
    public const int MaxDepth = 200;

    [ThreadStatic]
    private static Walk? t_walk;

    /// <summary>Wraps <paramref name="inner"/> so that writing through it counts a level (and, for objects, checks for a cycle).</summary>
    public static IMessagePackFormatter<T> Guard<T>(IMessagePackFormatter<T> inner, bool tracksIdentity) =>
        new GuardedFormatter<T>(inner, tracksIdentity && !typeof(T).IsValueType);

    private static void Enter(object value, bool tracksIdentity)
    {
        var walk = t_walk ??= new Walk();
        if (tracksIdentity && !walk.OnPath.Add(value))
        {
            var path = walk.Describe(value.GetType());
            walk.Reset();
            throw new TransferException($"it contains a cycle ({path}): an object refers back to one that contains it. Values are sent by copy, so a cyclic graph cannot be; send ids instead of references, or break the cycle");
        }

        walk.Path.Add((value.GetType(), tracksIdentity ? value : null));
        if (walk.Path.Count > MaxDepth)
        {
            var path = walk.Describe(null);
            walk.Reset();
            throw new TransferException($"it nests deeper than {MaxDepth} levels ({path}), deeper than another process may read; flatten it (a list instead of a linked chain) or split it");
        }
    }

    private static void Leave(bool tracksIdentity)
    {
        // After a refusal the walk was reset and the levels above unwind through here: nothing left to pop.
        if (t_walk is not { Path.Count: > 0 } walk)
        {
            return;
        }

        var (_, value) = walk.Path[^1];
        walk.Path.RemoveAt(walk.Path.Count - 1);
        if (tracksIdentity && value is not null)
        {
            walk.OnPath.Remove(value);
        }
    }

    /// <summary>One thread's way down the value being written.</summary>
    private sealed class Walk
    {
        public HashSet<object> OnPath { get; } = new(ReferenceEqualityComparer.Instance);

        public List<(Type Type, object? Value)> Path { get; } = [];

        public void Reset()
        {
            OnPath.Clear();
            Path.Clear();
        }

        // "Node → Node → … → Node" (the outermost two and the innermost two levels), then the type seen again.
        public string Describe(Type? again)
        {
            var names = Path.Select(p => p.Type.Name).ToList();
            if (again is not null)
            {
                names.Add(again.Name + " again");
            }

            return names.Count <= 5 ? string.Join(" → ", names) : $"{names[0]} → {names[1]} → … ({names.Count - 4} more) … → {names[^2]} → {names[^1]}";
        }
    }

    private sealed class GuardedFormatter<T>(IMessagePackFormatter<T> inner, bool tracksIdentity) : IMessagePackFormatter<T>
    {
        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                inner.Serialize(ref writer, value, options);
                return;
            }

            Enter(value, tracksIdentity);
            try
            {
                inner.Serialize(ref writer, value, options);
            }
            finally
            {
                Leave(tracksIdentity);
            }
        }

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => inner.Deserialize(ref reader, options);
    }
}
