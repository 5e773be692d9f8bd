namespace AioProcessing;

/// <summary>Thrown by <c>RecvBytesInto</c> when the message is longer than the buffer (Python's <c>BufferTooShort</c>).</summary>
public sealed class BufferTooShortException : IOException
{
    /// <summary>Creates the exception with the message that did not fit.</summary>
    public BufferTooShortException(byte[] received)
        : base($"The buffer is too short for the {received?.Length} bytes received; they are in Received.") =>
        Received = received ?? [];

    /// <summary>Creates the exception with a default message.</summary>
    public BufferTooShortException()
        : base("The buffer is too short for the message received.") =>
        Received = [];

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public BufferTooShortException(string message)
        : base(message) =>
        Received = [];

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public BufferTooShortException(string message, Exception innerException)
        : base(message, innerException) =>
        Received = [];

    /// <summary>The whole message that did not fit (it is consumed).</summary>
#pragma warning disable CA1819 // The message itself, as Python's BufferTooShort carries it.
    public byte[] Received { get; }
#pragma warning restore CA1819
}
