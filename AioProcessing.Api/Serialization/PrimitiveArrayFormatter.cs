using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;

namespace AioProcessing.Serialization;

/// <summary>Creates the formatter for arrays of fixed-size numbers (<see cref="PrimitiveArrayFormatter{T}"/>).</summary>
internal static class PrimitiveArrayFormatter
{
    /// <summary>The MessagePack extension type of an array written as its raw bytes.</summary>
    public const sbyte ExtensionType = 41;

    private static readonly HashSet<Type> Elements =
    [
        typeof(sbyte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong),
        typeof(float), typeof(double), typeof(char),
    ];

    /// <summary>The formatter for <typeparamref name="T"/> if it is such an array; null otherwise.</summary>
    public static IMessagePackFormatter<T>? TryCreate<T>() =>
        BitConverter.IsLittleEndian && typeof(T).IsSZArray && Elements.Contains(typeof(T).GetElementType()!)
            ? (IMessagePackFormatter<T>)Activator.CreateInstance(typeof(PrimitiveArrayFormatter<>).MakeGenericType(typeof(T).GetElementType()!))!
            : null;
}

/// <summary>
/// Writes an array of fixed-size numbers as one extension holding its bytes, as they are in memory (little-endian on
/// every platform .NET runs on; other platforms keep MessagePack's own encoding). A pool map's chunks and results are
/// such arrays: element by element, MessagePack's encoding of a million of them costs tens of milliseconds in a
/// process whose MessagePack code is not yet optimized by the JIT (the caller's, always at first), where this is a copy.
/// </summary>
/// <typeparam name="T">The element type; any bit pattern of it is a valid value (so no <see cref="bool"/>).</typeparam>
internal sealed class PrimitiveArrayFormatter<T> : IMessagePackFormatter<T[]?>, IDecodesInto<T>
    where T : unmanaged
{
    public void Serialize(ref MessagePackWriter writer, T[]? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var bytes = MemoryMarshal.AsBytes(value.AsSpan());
        writer.WriteExtensionFormatHeader(new ExtensionHeader(PrimitiveArrayFormatter.ExtensionType, bytes.Length));
        writer.WriteRaw(bytes);
    }

    public T[]? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var header = reader.ReadExtensionFormatHeader();
        var size = Unsafe.SizeOf<T>();
        if (header.TypeCode != PrimitiveArrayFormatter.ExtensionType || header.Length % size != 0)
        {
            throw new MessagePackSerializationException($"Expected a {typeof(T).Name}[] written as raw bytes (extension {PrimitiveArrayFormatter.ExtensionType}, a multiple of {size} bytes); got extension {header.TypeCode} of {header.Length} bytes.");
        }

        var value = new T[header.Length / size];
        reader.ReadRaw(header.Length).CopyTo(MemoryMarshal.AsBytes(value.AsSpan()));
        return value;
    }

    /// <inheritdoc />
    public void DeserializeInto(ref MessagePackReader reader, Span<T> destination)
    {
        var header = reader.TryReadNil() ? default : reader.ReadExtensionFormatHeader();
        if (header.TypeCode != PrimitiveArrayFormatter.ExtensionType || header.Length != (long)destination.Length * Unsafe.SizeOf<T>())
        {
            throw new MessagePackSerializationException($"Expected {destination.Length} values of {typeof(T).Name} written as raw bytes (extension {PrimitiveArrayFormatter.ExtensionType}); got extension {header.TypeCode} of {header.Length} bytes.");
        }

        reader.ReadRaw(header.Length).CopyTo(MemoryMarshal.AsBytes(destination));
    }
}

/// <summary>A formatter of <typeparamref name="T"/>[] that can decode into memory the caller owns (a map's result array).</summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IDecodesInto<T>
{
    /// <summary>Reads an array into <paramref name="destination"/>, which it must fill exactly.</summary>
    void DeserializeInto(ref MessagePackReader reader, Span<T> destination);
}
