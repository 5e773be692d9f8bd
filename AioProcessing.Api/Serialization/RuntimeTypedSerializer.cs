using System.Collections.Concurrent;
using MessagePack;

namespace AioProcessing.Serialization;

/// <summary>
/// MessagePack's Serialize and Deserialize for a type known only at run time (a parameter's, a closure field's, a
/// task's result type), through MessagePack's generic methods.
/// </summary>
/// <remarks>
/// MessagePack's own non-generic overloads build, for each type they meet, nine delegates compiled from expression
/// trees, all at once, even for one call. That put the expression compiler and the JIT of its output on a cold
/// worker's start (the 18 compiled lambdas of a start running an empty target) and on the background re-JIT that
/// competes with a young process's pool. This cache holds one small generic object per type, made by reflection.
/// </remarks>
internal static class RuntimeTypedSerializer
{
    private static readonly ConcurrentDictionary<Type, Codec> Codecs = new();

    /// <summary>Writes <paramref name="value"/> as <paramref name="type"/>, as <c>MessagePackSerializer.Serialize(Type, ref MessagePackWriter, …)</c>.</summary>
    public static void Serialize(Type type, ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options) =>
        For(type).Serialize(ref writer, value, options);

    /// <summary>Encodes <paramref name="value"/> as <paramref name="type"/>, as <c>MessagePackSerializer.Serialize(Type, object, …)</c>.</summary>
    public static byte[] Serialize(Type type, object? value, MessagePackSerializerOptions options) =>
        For(type).Serialize(value, options);

    /// <summary>Reads a <paramref name="type"/>, as <c>MessagePackSerializer.Deserialize(Type, ref MessagePackReader, …)</c>.</summary>
    public static object? Deserialize(Type type, ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        For(type).Deserialize(ref reader, options);

    private static Codec For(Type type) =>
        Codecs.GetOrAdd(type, static t => (Codec)Activator.CreateInstance(typeof(Codec<>).MakeGenericType(t))!);

    private abstract class Codec
    {
        public abstract void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options);

        public abstract byte[] Serialize(object? value, MessagePackSerializerOptions options);

        public abstract object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options);
    }

    // The unboxing cast throws for null where T is a value type, as MessagePack's compiled conversion does.
    private sealed class Codec<T> : Codec
    {
        public override void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options) =>
            MessagePackSerializer.Serialize(ref writer, (T)value!, options);

        public override byte[] Serialize(object? value, MessagePackSerializerOptions options) =>
            MessagePackSerializer.Serialize((T)value!, options);

        public override object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            MessagePackSerializer.Deserialize<T>(ref reader, options);
    }
}
