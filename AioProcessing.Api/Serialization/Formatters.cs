using System.Reflection;
using System.Runtime.CompilerServices;
using Akka.Actor;
using MessagePack;
using MessagePack.Formatters;

namespace AioProcessing.Serialization;

/// <summary>
/// A facade bound to an actor in the coordinator. Sending one sends its actor's path; the receiving process
/// rebinds it to the same actor through its own context.
/// </summary>
internal interface IAioFacade
{
    AioContext Context { get; }

    IActorRef Actor { get; }

    /// <summary>A second actor the facade cannot work without (an <see cref="AioCondition"/>'s reentrant lock); it travels along.</summary>
    IActorRef? Companion => null;
}

/// <summary>A facade type that can be rebuilt from a reference in another process.</summary>
internal interface IAioFacade<TSelf> : IAioFacade
    where TSelf : IAioFacade<TSelf>
{
    static abstract TSelf Rebind(AioContext context, IActorRef actor);

    /// <summary>Rebuilds a facade that travelled with a <see cref="IAioFacade.Companion"/>.</summary>
    static virtual TSelf Rebind(AioContext context, IActorRef actor, IActorRef companion) => TSelf.Rebind(context, actor);
}

/// <summary>Creates the formatter for facade types.</summary>
internal static class FacadeFormatter
{
    public static IMessagePackFormatter<T>? TryCreate<T>()
    {
        // A facade type is its own IAioFacade<T> (AioBoundedSemaphore also inherits AioSemaphore's).
        var isFacade = typeof(T).GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAioFacade<>) && i.GetGenericArguments()[0] == typeof(T));
        return isFacade ? (IMessagePackFormatter<T>)Activator.CreateInstance(typeof(FacadeFormatter<>).MakeGenericType(typeof(T)))! : null;
    }
}

/// <summary>Writes a facade as its actor's full path; reads it back bound to the receiving process's context.</summary>
internal sealed class FacadeFormatter<T> : IMessagePackFormatter<T?>
    where T : class, IAioFacade<T>
{
    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        if (value.Companion is { } companion)
        {
            writer.WriteArrayHeader(2);
            writer.Write(value.Context.PathOf(value.Actor));
            writer.Write(value.Context.PathOf(companion));
            return;
        }

        writer.Write(value.Context.PathOf(value.Actor));
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var context = AioSerializerOptions.ContextOf(options);
        if (reader.NextMessagePackType == MessagePackType.Array)
        {
            _ = reader.ReadArrayHeader();
            var actor = context.ResolveActor(reader.ReadString()!);
            return T.Rebind(context, actor, context.ResolveActor(reader.ReadString()!));
        }

        return T.Rebind(context, context.ResolveActor(reader.ReadString()!));
    }
}

/// <summary>
/// Writes a delegate as its delegate type, its method (declaring type and metadata token, plus generic arguments)
/// and its target: a closure goes field by field, a bound instance by its own formatter, a static method has none.
/// The receiving process loads the same assembly and rebuilds the delegate.
/// </summary>
internal sealed class DelegateFormatter<T> : IMessagePackFormatter<T?>
    where T : Delegate
{
    private static string? ReadGenericArguments(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var count = reader.ReadArrayHeader();
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = reader.ReadString()!;
        }

        return string.Join('\n', names);
    }

    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        if (value.GetInvocationList().Length > 1)
        {
            throw new TransferException("a multicast delegate (several methods combined with +=) cannot be sent; pass a single method or lambda");
        }

        var method = value.Method;
        if (method.DeclaringType is not { } declaring || declaring.Assembly.IsDynamic || method is System.Reflection.Emit.DynamicMethod)
        {
            throw new TransferException($"the method '{method.Name}' was emitted at run time and does not exist in another process");
        }

        writer.WriteArrayHeader(5);
        writer.Write(value.GetType().AssemblyQualifiedName);
        writer.Write(declaring.AssemblyQualifiedName);
        writer.Write(method.MetadataToken);
        if (method.IsGenericMethod)
        {
            var arguments = method.GetGenericArguments();
            writer.WriteArrayHeader(arguments.Length);
            foreach (var argument in arguments)
            {
                writer.Write(argument.AssemblyQualifiedName);
            }
        }
        else
        {
            writer.WriteNil();
        }

        if (value.Target is not { } target)
        {
            writer.WriteNil();
            return;
        }

        var targetType = target.GetType();
        writer.WriteArrayHeader(2);
        writer.Write(targetType.AssemblyQualifiedName);
        try
        {
            RuntimeTypedSerializer.Serialize(targetType, ref writer, target, options);
        }
        catch (Exception ex) when (!TransferPolicy.IsClosure(targetType))
        {
            // A lambda that captures only 'this' compiles to an instance method of the enclosing class.
            var where = method.Name.StartsWith('<')
                ? $"the captured 'this' ({TransferPolicy.Describe(targetType)})"
                : $"the instance '{method.Name}' is bound to ({TransferPolicy.Describe(targetType)})";
            throw TransferException.At(ex, where);
        }
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.ReadArrayHeader();
        var key = new MethodKey(reader.ReadString()!, reader.ReadString()!, reader.ReadInt32(), ReadGenericArguments(ref reader));
        // A pool sends the same few methods over and over: resolving one (type lookups, token, generic instantiation) once is enough.
        var (delegateType, method) = DelegateMethods.Resolved.GetOrAdd(key, static k =>
        {
            var declaring = TypeNames.Resolve(k.Declaring);
            var resolved = declaring.Module.ResolveMethod(k.Token)
                ?? throw new InvalidOperationException($"Method token {k.Token} is not in {declaring.Module.Name}.");
            var method = (MethodInfo)MethodBase.GetMethodFromHandle(resolved.MethodHandle, declaring.TypeHandle)!;
            if (k.GenericArguments is { } arguments)
            {
                method = method.MakeGenericMethod([.. arguments.Split('\n').Select(TypeNames.Resolve)]);
            }

            return (TypeNames.Resolve(k.DelegateType), method);
        });

        if (reader.TryReadNil())
        {
            return (T)Delegate.CreateDelegate(delegateType, method);
        }

        reader.ReadArrayHeader();
        var targetType = TypeNames.Resolve(reader.ReadString()!);
        var target = RuntimeTypedSerializer.Deserialize(targetType, ref reader, options);
        return (T)Delegate.CreateDelegate(delegateType, target, method);
    }
}

/// <summary>Delegate methods already resolved in this process, by what identifies them on the wire.</summary>
internal static class DelegateMethods
{
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<MethodKey, (Type DelegateType, MethodInfo Method)> Resolved = new();
}

/// <summary>A delegate's type, its method's declaring type and token, and its generic arguments (newline-separated) as written.</summary>
internal readonly record struct MethodKey(string DelegateType, string Declaring, int Token, string? GenericArguments);

/// <summary>
/// Writes a compiler closure (the class holding a lambda's captured variables) field by field, each with its
/// declared type: captured values travel by value, captured facades as references, nested scopes recursively.
/// </summary>
internal sealed class ClosureFormatter<T> : IMessagePackFormatter<T?>
    where T : class
{
    private static readonly FieldInfo[] Fields = typeof(T).GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
    private static readonly Dictionary<string, FieldInfo> ByName = Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteMapHeader(Fields.Length);
        foreach (var field in Fields)
        {
            writer.Write(field.Name);
            try
            {
                RuntimeTypedSerializer.Serialize(field.FieldType, ref writer, field.GetValue(value), options);
            }
            catch (Exception ex)
            {
                throw TransferException.At(ex, Describe(field));
            }
        }
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var closure = (T)RuntimeHelpers.GetUninitializedObject(typeof(T));
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var field = ByName[reader.ReadString()!];
            field.SetValue(closure, RuntimeTypedSerializer.Deserialize(field.FieldType, ref reader, options));
        }

        return closure;
    }

    // The compiler names captured variables after themselves; 'this' and enclosing scopes have mangled names.
    private static string? Describe(FieldInfo field) => field.Name switch
    {
        "<>4__this" => $"the captured 'this' ({TransferPolicy.Describe(field.FieldType)})",
        var name when name.StartsWith("CS$<>", StringComparison.Ordinal) => null,
        var name => $"captured variable '{name}'",
    };
}

/// <summary>Resolves assembly-qualified type names, loading assemblies through the process's probing rules.</summary>
internal static class TypeNames
{
    public static Type Resolve(string assemblyQualifiedName) =>
        Type.GetType(assemblyQualifiedName, throwOnError: false)
        ?? throw new TypeLoadException($"Type '{assemblyQualifiedName}' cannot be loaded in this process (is its assembly in the application's folder?).");
}
