namespace AioProcessing;

/// <summary>
/// A value (argument, captured variable, queue item) whose encoded size exceeds <c>aio.payload.max-bytes</c>.
/// Thrown at the call that tried to send it, never after a silent drop.
/// </summary>
public sealed class PayloadTooLargeException : ArgumentException
{
    /// <summary>Creates the exception with a default message.</summary>
    public PayloadTooLargeException()
        : base("The value is too large to send to another process.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public PayloadTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public PayloadTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a value of <paramref name="size"/> bytes against <paramref name="limit"/>.</summary>
    public PayloadTooLargeException(string what, long size, long limit, string? paramName)
        : base($"{what} encodes to {size:N0} bytes, over the limit of {limit:N0} bytes (aio.payload.max-bytes).", paramName)
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>The encoded size of the value, in bytes.</summary>
    public long Size { get; }

    /// <summary>The configured limit, in bytes.</summary>
    public long Limit { get; }
}
