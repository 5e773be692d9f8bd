using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace AioProcessing.Serialization;

/// <summary>
/// The MessagePack resolver for user values. In order: AioProcessing facades travel as references to their actors;
/// delegates as method plus target; compiler closures field by field (each captured variable by value); types bound
/// to this process are refused with a reason; arrays of fixed-size numbers as their bytes; then MessagePack's own formatters (primitives, collections,
/// <c>[MessagePackObject]</c> types); then plain objects by their public members, after a check that no state would
/// be lost. Values typed <see cref="object"/> carry their type name.
/// </summary>
internal sealed class AioResolver : IFormatterResolver
{
    public static readonly AioResolver Instance = new();

    private static readonly IFormatterResolver[] Standard =
    [
        AttributeFormatterResolver.Instance,
        DynamicEnumResolver.Instance,
        DynamicGenericResolver.Instance,
        DynamicUnionResolver.Instance,
    ];

    private AioResolver()
    {
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static IMessagePackFormatter<T> Resolve<T>()
    {
        var type = typeof(T);
        try
        {
            // The value's own type counts the level and checks identity; the name written before it counts one more.
            if (type == typeof(object))
            {
                return GraphGuard.Guard((IMessagePackFormatter<T>)(object)TypelessFormatter.Instance, tracksIdentity: false);
            }

            if (type == typeof(AioConnection))
            {
                return (IMessagePackFormatter<T>)(object)ConnectionFormatter.Instance;
            }

            if (FacadeFormatter.TryCreate<T>() is { } facade)
            {
                return facade;
            }

            if (typeof(Delegate).IsAssignableFrom(type))
            {
                return GraphGuard.Guard((IMessagePackFormatter<T>)Activator.CreateInstance(typeof(DelegateFormatter<>).MakeGenericType(type))!, tracksIdentity: true);
            }

            if (TransferPolicy.IsClosure(type))
            {
                return GraphGuard.Guard((IMessagePackFormatter<T>)Activator.CreateInstance(typeof(ClosureFormatter<>).MakeGenericType(type))!, tracksIdentity: true);
            }

            if (TransferPolicy.Refusal(type) is { } refusal)
            {
                return new RefusingFormatter<T>(refusal);
            }

            if (PrimitiveArrayFormatter.TryCreate<T>() is { } raw)
            {
                return raw;
            }

            // Built-in formatters write leaves (primitives, strings, arrays of primitives): nothing in them can nest.
            if (BuiltinResolver.Instance.GetFormatter<T>() is { } leaf)
            {
                return leaf;
            }

            foreach (var resolver in Standard)
            {
                if (resolver.GetFormatter<T>() is { } formatter)
                {
                    return GraphGuard.Guard(formatter, tracksIdentity: true);
                }
            }

            // A declared interface or abstract class: the value's own type decides, so write its name with it.
            if (type.IsInterface || type.IsAbstract)
            {
                return GraphGuard.Guard(new TypedByValueFormatter<T>(), tracksIdentity: false);
            }

            if (TransferPolicy.ShapeRefusal(type) is { } shape)
            {
                return new RefusingFormatter<T>(shape);
            }

            return DynamicContractlessObjectResolverAllowPrivate.Instance.GetFormatter<T>() is { } contractless
                ? GraphGuard.Guard(contractless, tracksIdentity: true)
                : new RefusingFormatter<T>("MessagePack has no encoding for it");
        }
#pragma warning disable CA1031 // Any failure to build a formatter becomes a refusal that names the type.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new RefusingFormatter<T>("it has no serializable shape (" + ex.Message + ")");
        }
    }

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T> Formatter = Resolve<T>();
    }
}

/// <summary>Stands for a type that can never be sent: both directions throw the reason.</summary>
internal sealed class RefusingFormatter<T> : IMessagePackFormatter<T>
{
    private readonly string _reason;

    public RefusingFormatter(string reason) => _reason = reason;

    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) =>
        throw new TransferException(value?.GetType() ?? typeof(T), _reason);

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new TransferException(typeof(T), _reason);
}

/// <summary>For values declared as an interface or abstract type: encodes the value's own type through the typeless formatter.</summary>
internal sealed class TypedByValueFormatter<T> : IMessagePackFormatter<T>
{
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) =>
        TypelessFormatter.Instance.Serialize(ref writer, value, options);

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        (T)TypelessFormatter.Instance.Deserialize(ref reader, options)!;
}
