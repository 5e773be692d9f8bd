using System.Buffers.Binary;
using Google.Protobuf;

namespace AioProcessing.Node.Security;

/// <summary>
/// Messages larger than one frame of the wrapped transport, cut into frames and put back together, so that the
/// transport's frame size can stay small. The frame size bounds what the frame decoder buffers for a connection
/// before anything is known about its peer (Akka's decoder buffers up to the frame size on the length a peer
/// claims); once the peer proved the secret, a message may be as large as <c>aio.security.max-message-bytes</c>.
/// </summary>
/// <remarks>
/// A fragment starts with <see cref="Marker"/>, which no frame of Akka's protocol starts with (a protobuf field tag is
/// never 0), so whole frames pass both ways untouched and uncopied. The first fragment of a message carries its total
/// length; the reader takes bytes until that length is reached.
/// </remarks>
internal static class Fragments
{
    /// <summary>The first byte of every fragment.</summary>
    public const byte Marker = 0;

    private const byte First = 1, Next = 2;
    private const int FirstHeader = 2 + sizeof(int), NextHeader = 2;

    /// <summary>Cuts <paramref name="message"/> into frames of at most <paramref name="frameBytes"/> bytes.</summary>
    public static IEnumerable<ByteString> Split(ReadOnlySpan<byte> message, int frameBytes)
    {
        var frames = new List<ByteString>((message.Length / (frameBytes - FirstHeader)) + 2);
        var offset = 0;
        while (offset < message.Length)
        {
            var header = offset == 0 ? FirstHeader : NextHeader;
            var take = Math.Min(frameBytes - header, message.Length - offset);
            var frame = new byte[header + take];
            frame[0] = Marker;
            frame[1] = offset == 0 ? First : Next;
            if (offset == 0)
            {
                BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(2), message.Length);
            }

            message.Slice(offset, take).CopyTo(frame.AsSpan(header));
            frames.Add(UnsafeByteOperations.UnsafeWrap(frame));
            offset += take;
        }

        return frames;
    }

    /// <summary>Puts one peer's fragments back together, one message at a time.</summary>
    /// <param name="maxMessageBytes">The largest message the peer may send.</param>
    public sealed class Reassembly(long maxMessageBytes)
    {
        private byte[]? _message;
        private int _filled;

        /// <summary>
        /// Takes one fragment; <paramref name="message"/> is the whole message once its last fragment came, else null.
        /// False (with <paramref name="error"/>) when the fragments break the protocol.
        /// </summary>
        public bool Add(ReadOnlySpan<byte> fragment, out ByteString? message, out string? error)
        {
            message = null;
            error = null;
            if (fragment.Length < NextHeader)
            {
                error = "it sent a fragment without a header";
                return false;
            }

            ReadOnlySpan<byte> body;
            if (fragment[1] == First && _message is null && fragment.Length >= FirstHeader)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(fragment[2..]);
                if (length <= 0 || length > maxMessageBytes)
                {
                    error = $"it announced a message of {length:N0} bytes, over the limit of {maxMessageBytes:N0} (aio.security.max-message-bytes)";
                    return false;
                }

                _message = new byte[length];
                _filled = 0;
                body = fragment[FirstHeader..];
            }
            else if (fragment[1] == Next && _message is not null)
            {
                body = fragment[NextHeader..];
            }
            else
            {
                error = "it sent fragments out of order";
                return false;
            }

            if (body.Length > _message.Length - _filled)
            {
                error = "it sent more fragment bytes than its message announced";
                return false;
            }

            body.CopyTo(_message.AsSpan(_filled));
            _filled += body.Length;
            if (_filled == _message.Length)
            {
                message = UnsafeByteOperations.UnsafeWrap(_message);
                _message = null;
            }

            return true;
        }
    }
}
