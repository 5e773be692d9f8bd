using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

using AioProcessing.Actors.Serialization;

namespace AioProcessing.Node.Lane;

/// <summary>
/// The same-host lane's bytes. After the handshake every frame is a 4-byte little-endian length, then a kind byte
/// and the kind's fields:
/// <list type="bullet">
/// <item><c>B</c> (to the coordinator) id, path: from now on id names the actor at path.</item>
/// <item><c>T</c> (to the coordinator) id, with-inbox byte, manifest, body: tell the bound actor a message that
/// <c>ControlMessageSerializer</c> wrote, with the process's reply inbox as sender (or none).</item>
/// <item><c>D</c> (to the process) manifest, body: a message for the process's reply inbox.</item>
/// <item><c>P</c> / <c>Q</c> token: ping and its pong. The coordinator answers a ping after it handed on everything
/// read before it, so a pong means that all of it sits in its actors' mailboxes.</item>
/// </list>
/// </summary>
internal static class LaneWire
{
    public const byte Bind = (byte)'B';
    public const byte Tell = (byte)'T';
    public const byte Deliver = (byte)'D';
    public const byte Ping = (byte)'P';
    public const byte Pong = (byte)'Q';

    /// <summary>Bytes of a handshake nonce and of an HMAC-SHA256 proof.</summary>
    public const int ProofBytes = 32;

    /// <summary>The longest inbox path a process may announce in its handshake.</summary>
    public const int MaxPathBytes = 1024;

    /// <summary>The largest frame either side reads from a proven peer: <c>aio.security.max-message-bytes</c>, as over Akka.Remote.</summary>
    public static long MaxFrameBytes(Akka.Configuration.Config config) =>
        config.GetByteSize("aio.security.max-message-bytes", 256L << 20) ?? 256L << 20;

    /// <summary>What the coordinator sends first: these four bytes, then its nonce.</summary>
    public static ReadOnlySpan<byte> Magic => "AIOL"u8;

    /// <summary>
    /// HMAC-SHA256 of the secret over a role byte and both nonces. The role differs by direction, so that one side's
    /// answer cannot be reflected back as the other's.
    /// </summary>
    public static byte[] Proof(byte[] secret, bool fromProcess, ReadOnlySpan<byte> challengedNonce, ReadOnlySpan<byte> proverNonce)
    {
        var data = new byte[1 + challengedNonce.Length + proverNonce.Length];
        data[0] = fromProcess ? (byte)'C' : (byte)'L';
        challengedNonce.CopyTo(data.AsSpan(1));
        proverNonce.CopyTo(data.AsSpan(1 + challengedNonce.Length));
        return HMACSHA256.HashData(secret, data);
    }

    /// <summary>Reads exactly <paramref name="buffer"/>'s length; false when the peer closed the connection first.</summary>
    public static bool ReadExactly(Socket socket, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var read = socket.Receive(buffer);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    /// <summary>Writes a short string: a 2-byte length, then its UTF-8 bytes.</summary>
    public static int WriteString(Span<byte> into, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, into[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(into, checked((ushort)length));
        return 2 + length;
    }

    /// <summary>Reads a string written by <see cref="WriteString"/>.</summary>
    public static string ReadString(ReadOnlySpan<byte> from, out int consumed)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(from);
        consumed = 2 + length;
        return Encoding.UTF8.GetString(from.Slice(2, length));
    }

    /// <summary>
    /// A message frame in a buffer from <see cref="LaneFrameWriter.Rent"/>: <paramref name="kind"/> at 4, then
    /// <paramref name="fieldBytes"/> bytes the caller fills, then the manifest and the body as
    /// <paramref name="serializer"/> writes them (actor references with this system's address, as Akka.Remote writes them).
    /// </summary>
    /// <returns>The buffer, to be sent or returned to the pool, and where the frame ends.</returns>
    public static (byte[] Buffer, int End) MessageFrame(Akka.Actor.ExtendedActorSystem system, Akka.Serialization.SerializerWithStringManifest serializer, object message, byte kind, int fieldBytes)
    {
        var manifest = serializer.Manifest(message);
        if (serializer is ControlMessageSerializer control)
        {
            // The body written straight after the header into the pooled frame: no array of its own to fill and copy.
            var frame = new PooledBufferWriter(256);
            try
            {
                frame.Advance(5 + fieldBytes);
                frame.Advance(WriteString(frame.GetSpan(MaxStringBytes(manifest)), manifest));
                Akka.Serialization.Serialization.WithTransport(system, () =>
                {
                    control.WriteBody(message, frame);
                    return frame;
                });
                var end = frame.WrittenCount;
                var written = frame.Detach();
                written[4] = kind;
                return (written, end);
            }
            finally
            {
                frame.Dispose();
            }
        }

        var body = Akka.Serialization.Serialization.WithTransport(system, () => serializer.ToBinary(message));
        var buffer = LaneFrameWriter.Rent(1 + fieldBytes + MaxStringBytes(manifest) + body.Length);
        buffer[4] = kind;
        var at = 5 + fieldBytes;
        at += WriteString(buffer.AsSpan(at), manifest);
        body.CopyTo(buffer.AsSpan(at));
        return (buffer, at + body.Length);
    }

    /// <summary>
    /// Reads a message body out of a frame; the frame's buffer may be reused as soon as this returns (what the
    /// message keeps, it copied).
    /// </summary>
    public static object ReadMessage(Akka.Serialization.SerializerWithStringManifest serializer, ReadOnlyMemory<byte> body, string manifest) =>
        serializer is ControlMessageSerializer control ? control.FromBinary(body, manifest) : serializer.FromBinary(body.ToArray(), manifest);

    /// <summary>The bytes <see cref="WriteString"/> needs for <paramref name="value"/>, at most.</summary>
    public static int MaxStringBytes(string value) => 2 + Encoding.UTF8.GetMaxByteCount(value.Length);
}

/// <summary>
/// One side's writer: whole frames, each in one send, under <see cref="Gate"/>, so that frames written by several
/// threads (a caller, an actor answering) never interleave. A frame is built in a pooled buffer outside the lock.
/// </summary>
internal sealed class LaneFrameWriter(Socket socket)
{
    /// <summary>Held while a frame is sent; a caller that must send two frames back to back holds it across both.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Rents a buffer for a frame with <paramref name="bodyBytes"/> bytes after the length; the body starts at 4.</summary>
    public static byte[] Rent(int bodyBytes) => ArrayPool<byte>.Shared.Rent(4 + bodyBytes);

    /// <summary>Gives a buffer from <see cref="Rent"/> back.</summary>
    public static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    /// <summary>Sends the frame whose body fills <paramref name="buffer"/> from 4 up to <paramref name="end"/>, and returns the buffer to the pool.</summary>
    /// <exception cref="SocketException">The connection is broken.</exception>
    /// <exception cref="ObjectDisposedException">The connection was closed.</exception>
    public void Send(byte[] buffer, int end)
    {
        try
        {
            lock (Gate)
            {
                SendHeld(buffer, end);
            }
        }
        finally
        {
            Return(buffer);
        }
    }

    /// <summary>As <see cref="Send"/> for a caller that holds <see cref="Gate"/>; the buffer stays the caller's.</summary>
    public void SendHeld(byte[] buffer, int end)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer, end - 4);
        var bytes = buffer.AsSpan(0, end);
        while (bytes.Length > 0)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }
}

/// <summary>
/// One side's reader: frames out of a buffer that takes whatever the socket has, so that a burst of small frames
/// costs one system call. A frame larger than the buffer is read into an array rented for it (a pool map's results
/// come in frames of a megabyte: a fresh array for each would cost more than reading it), given back at the next
/// frame.
/// </summary>
internal sealed class LaneFrameReader(Socket socket, long maxFrameBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private byte[]? _large;
    private int _start;
    private int _end;

    /// <summary>
    /// The next frame's body (kind byte first), valid until the next call; an empty segment when the peer closed
    /// the connection between frames.
    /// </summary>
    /// <exception cref="InvalidDataException">The peer announced a frame larger than the limit, or closed it halfway.</exception>
    public ArraySegment<byte> Next()
    {
        if (_large is not null)
        {
            ArrayPool<byte>.Shared.Return(_large);
            _large = null;
        }

        if (!Fill(4))
        {
            return ArraySegment<byte>.Empty;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start));
        if (length <= 0 || length > maxFrameBytes)
        {
            throw new InvalidDataException($"a lane frame of {length} bytes (at most {maxFrameBytes})");
        }

        _start += 4;
        if (length <= _buffer.Length)
        {
            if (!Fill(length))
            {
                throw new InvalidDataException("the lane closed in the middle of a frame");
            }

            var frame = new ArraySegment<byte>(_buffer, _start, length);
            _start += length;
            return frame;
        }

        // Larger than the buffer: what is buffered, then the rest straight from the socket.
        var large = _large = ArrayPool<byte>.Shared.Rent(length);
        var buffered = _end - _start;
        _buffer.AsSpan(_start, buffered).CopyTo(large);
        _start = _end = 0;
        if (!LaneWire.ReadExactly(socket, large.AsSpan(buffered, length - buffered)))
        {
            throw new InvalidDataException("the lane closed in the middle of a frame");
        }

        return new ArraySegment<byte>(large, 0, length);
    }

    // Makes count bytes available from _start; false when the connection closed before any of them arrived.
    private bool Fill(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_buffer.Length - _start < count)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var before = _end - _start;
        while (_end - _start < count)
        {
            var read = socket.Receive(_buffer.AsSpan(_end));
            if (read == 0)
            {
                if (_end - _start == before && before == 0)
                {
                    return false;
                }

                throw new InvalidDataException("the lane closed in the middle of a frame");
            }

            _end += read;
        }

        return true;
    }
}
