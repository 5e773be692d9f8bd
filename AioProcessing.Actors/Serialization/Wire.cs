using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Akka.Actor;

namespace AioProcessing.Actors.Serialization;

/// <summary>Appends the fields of one control message to a growable buffer, little-endian.</summary>
public sealed class WireWriter
{
    private readonly IBufferWriter<byte> _buffer;

    internal WireWriter(IBufferWriter<byte> buffer) => _buffer = buffer;

    /// <summary>Writes a 32-bit integer.</summary>
    public void Int(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    /// <summary>Writes a 64-bit integer.</summary>
    public void Long(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    /// <summary>Writes one byte (flags, small enums).</summary>
    public void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    /// <summary>Writes a boolean as one byte.</summary>
    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    /// <summary>Writes a length-prefixed byte array; null is written as length -1.</summary>
    public void Bytes(byte[]? value)
    {
        if (value is null)
        {
            Int(-1);
            return;
        }

        Int(value.Length);
        _buffer.Write(value);
    }

    /// <summary>Writes a count, then each byte array (items of a queue, keys of a dictionary).</summary>
    public void ByteArrays(byte[][] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Int(values.Length);
        foreach (var value in values)
        {
            Bytes(value);
        }
    }

    /// <summary>Writes a length-prefixed UTF-8 string; null is written as length -1.</summary>
    public void String(string? value)
    {
        if (value is null)
        {
            Int(-1);
            return;
        }

        var count = Encoding.UTF8.GetByteCount(value);
        Int(count);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(count);
    }

    /// <summary>Writes an actor reference as its full path with address, resolvable on any node.</summary>
    public void Actor(IActorRef? actor) =>
        String(actor is null || actor.IsNobody() ? null : Akka.Serialization.Serialization.SerializedActorPath(actor));
}

/// <summary>Reads back what <see cref="WireWriter"/> wrote, in the same order.</summary>
public sealed class WireReader
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly ExtendedActorSystem _system;
    private int _offset;

    internal WireReader(ReadOnlyMemory<byte> bytes, ExtendedActorSystem system)
    {
        _bytes = bytes;
        _system = system;
    }

    /// <summary>Reads a 32-bit integer.</summary>
    public int Int()
    {
        var value = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        return value;
    }

    /// <summary>Reads a 64-bit integer.</summary>
    public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads one byte.</summary>
    public byte Byte() => Take(1)[0];

    /// <summary>Reads a boolean.</summary>
    public bool Bool() => Byte() != 0;

    /// <summary>Reads a length-prefixed byte array, or null.</summary>
    public byte[]? Bytes()
    {
        var length = Int();
        return length < 0 ? null : Take(length).ToArray();
    }

    /// <summary>Reads what <see cref="WireWriter.ByteArrays"/> wrote.</summary>
    public byte[][] ByteArrays()
    {
        var values = new byte[Int()][];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Bytes()!;
        }

        return values;
    }

    /// <summary>Reads a length-prefixed UTF-8 string, or null.</summary>
    public string? String()
    {
        var length = Int();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>
    /// Whether every byte of the message has been read. A message's optional trailing fields (written last, and only
    /// when there is something to write) are read only when it is not: a writer that had none, or an older one that
    /// knew none, wrote nothing there, and an older reader stops before them.
    /// </summary>
    internal bool AtEnd => _offset >= _bytes.Length;

    /// <summary>Reads an actor reference written by <see cref="WireWriter.Actor"/>; null becomes <see cref="ActorRefs.Nobody"/>.</summary>
    public IActorRef Actor()
    {
        var path = String();
        return path is null ? ActorRefs.Nobody : _system.Provider.ResolveActorRef(path);
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _bytes.Length - _offset)
        {
            throw new System.Runtime.Serialization.SerializationException(
                $"Truncated AioProcessing message: wanted {count} bytes at offset {_offset} of {_bytes.Length}.");
        }

        var span = _bytes.Span.Slice(_offset, count);
        _offset += count;
        return span;
    }
}
