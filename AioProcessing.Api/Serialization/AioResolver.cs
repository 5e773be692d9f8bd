using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace AioProcessing.Serialization;

/// <summary>
/// The MessagePack resolver for user values. In order: AioProcessing facades travel as references to their actors;
/// delegates as method plus target; compiler closures field by field (each captured variable by value); types bound
/// to this process are refused with a reason; then MessagePack's own formatters (primitives, collections,
/// <c>[MessagePackObject]</c> types); then plain objects by their public members, after a check that no state would
/// be lost. Values typed <see cref="object"/> carry their type name.
/// </summary>
internal sealed class AioResolver : IFormatterResolver
{
    public static readonly AioResolver Instance = new();

    private static readonly IFormatterResolver[] Standard =
    [
        BuiltinResolver.Instance,
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
            if (type == typeof(object))
            {
                return (IMessagePackFormatter<T>)(object)TypelessFormatter.Instance;
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
                return (IMessagePackFormatter<T>)Activator.CreateInstance(typeof(DelegateFormatter<>).MakeGenericType(type))!;
            }

            if (TransferPolicy.IsClosure(type))
            {
                return (IMessagePackFormatter<T>)Activator.CreateInstance(typeof(ClosureFormatter<>).MakeGenericType(type))!;
            }

            if (TransferPolicy.Refusal(type) is { } refusal)
            {
                return new RefusingFormatter<T>(refusal);
            }

            foreach (var resolver in Standard)
            {
                if (resolver.GetFormatter<T>() is { } formatter)
                {
                    return formatter;
                }
            }

            // A declared interface or abstract class: the value's own type decides, so write its name with it.
            if (type.IsInterface || type.IsAbstract)
            {
                return new TypedByValueFormatter<T>();
            }

            if (TransferPolicy.ShapeRefusal(type) is { } shape)
            {
                return new RefusingFormatter<T>(shape);
            }

            return DynamicContractlessObjectResolverAllowPrivate.Instance.GetFormatter<T>()
                ?? new RefusingFormatter<T>("MessagePack has no encoding for it");
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
