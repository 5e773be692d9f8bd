using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace AioProcessing.Serialization;

/// <summary>
/// Decides which values may travel to another process, and says why not in words a user can act on. A value is
/// refused when it is bound to this process (streams, threads, tasks, OS handles, disposables) or when its state
/// lives in non-public fields that a contract-less encoding would silently drop.
/// </summary>
internal static class TransferPolicy
{
    /// <summary>Why values of <paramref name="type"/> can never be sent, or null.</summary>
    public static string? Refusal(Type type)
    {
        if (type.IsPointer || type.IsByRef || type.IsByRefLike || type == typeof(IntPtr) || type == typeof(UIntPtr))
        {
            return "pointers and native handles are only meaningful in the process that made them";
        }

        if (typeof(Stream).IsAssignableFrom(type))
        {
            return "a stream is bound to the process that opened it; send its contents or a path instead";
        }

        if (typeof(Thread).IsAssignableFrom(type))
        {
            return "a thread cannot move to another process";
        }

        if (typeof(Task).IsAssignableFrom(type) || type == typeof(ValueTask) || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            return "a task is a promise of this process; await it and send its result";
        }

        if (typeof(WaitHandle).IsAssignableFrom(type) || typeof(SafeHandle).IsAssignableFrom(type))
        {
            return "an OS handle belongs to this process; use an AioProcessing primitive (AioLock, AioEvent, AioQueue) to coordinate across processes";
        }

        if (type == typeof(CancellationToken) || typeof(CancellationTokenSource).IsAssignableFrom(type))
        {
            return "a cancellation token only works inside its own process";
        }

        if (typeof(MemberInfo).IsAssignableFrom(type) || typeof(Assembly).IsAssignableFrom(type))
        {
            return "reflection objects cannot be sent; send a name instead";
        }

        if (typeof(IActorRef).IsAssignableFrom(type) || typeof(ActorSystem).IsAssignableFrom(type))
        {
            return "raw Akka.NET references are not payloads; pass an AioProcessing primitive instead";
        }

        if (typeof(MarshalByRefObject).IsAssignableFrom(type))
        {
            return "it is bound to the process that created it (MarshalByRefObject)";
        }

        if (typeof(IDisposable).IsAssignableFrom(type) || typeof(IAsyncDisposable).IsAssignableFrom(type))
        {
            return "it owns resources of this process (it is disposable)";
        }

        return null;
    }

    /// <summary>
    /// Why a plain object of <paramref name="type"/>, encoded by its public members, would lose state; or null when
    /// every instance field is public or backs a public property that can be set back (setter, init, or constructor).
    /// </summary>
    public static string? ShapeRefusal(Type type)
    {
        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.IsPublic || BacksRestorableProperty(type, field))
                {
                    continue;
                }

                return $"{Describe(type)} keeps state in the non-public field '{field.Name}', which would be lost in another process; expose it as a public property or field";
            }
        }

        return null;
    }

    /// <summary>A readable name for a type: C# closures and nested types included.</summary>
    public static string Describe(Type type) => type.FullName ?? type.Name;

    /// <summary>True for the compiler's closure classes (<c>&lt;&gt;c__DisplayClass…</c> and <c>&lt;&gt;c</c>).</summary>
    public static bool IsClosure(Type type) =>
        type.IsClass && type.Name.StartsWith("<>c", StringComparison.Ordinal) && type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);

    private static bool BacksRestorableProperty(Type type, FieldInfo field)
    {
        // Auto-properties store their value in "<Name>k__BackingField".
        const string Suffix = ">k__BackingField";
        if (!field.Name.StartsWith('<') || !field.Name.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return false;
        }

        var name = field.Name[1..^Suffix.Length];
        var property = field.DeclaringType!.GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
        if (property?.GetMethod is not { IsPublic: true })
        {
            return false;
        }

        return property.SetMethod is not null
            || type.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Any(c => c.GetParameters().Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)));
    }
}

/// <summary>A value that cannot be sent; <see cref="Path"/> says where it sits in what was being sent.</summary>
internal sealed class TransferException : Exception
{
    public TransferException()
        : this("the value cannot be sent")
    {
    }

    public TransferException(string reason)
        : base(reason) => Reason = reason;

    public TransferException(string reason, Exception innerException)
        : base(reason, innerException) => Reason = reason;

    public TransferException(Type type, string reason)
        : this($"{TransferPolicy.Describe(type)} cannot be sent to another process: {reason}")
    {
    }

    public string Reason { get; }

    /// <summary>Outermost first: e.g. "captured variable 'config'", "captured variable 'stream'".</summary>
    public List<string> Path { get; } = [];

    /// <summary>
    /// Finds the refusal inside whatever MessagePack wrapped it in (or makes one from another failure) and notes
    /// <paramref name="where"/> as the next-outer step of its path.
    /// </summary>
    public static TransferException At(Exception ex, string? where)
    {
        var transfer = Find(ex) ?? new TransferException(Innermost(ex).Message, ex);
        if (!string.IsNullOrEmpty(where))
        {
            transfer.Path.Insert(0, where);
        }

        return transfer;
    }

    public string Describe(string subject) =>
        Path.Count == 0 ? $"{subject}: {Reason}" : $"{subject}, {string.Join(" → ", Path)}: {Reason}";

    private static TransferException? Find(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is TransferException transfer)
            {
                return transfer;
            }
        }

        return null;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null && ex is not TransferException)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}
