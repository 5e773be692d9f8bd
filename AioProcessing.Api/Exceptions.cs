namespace AioProcessing;

/// <summary>Thrown by <c>Get</c> with a timeout and by <c>GetNowait</c> when no item arrived in time (Python's <c>queue.Empty</c>).</summary>
public sealed class QueueEmptyException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public QueueEmptyException()
        : base("The queue is empty.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueEmptyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public QueueEmptyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown by <c>Put</c> with a timeout and by <c>PutNowait</c> when a bounded queue stayed full (Python's <c>queue.Full</c>).</summary>
public sealed class QueueFullException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public QueueFullException()
        : base("The queue is full.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public QueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Thrown by a put to a queue that was shut down (<c>Shutdown()</c> or <c>Complete()</c>), and, as its subtype
/// <see cref="QueueCompletedException"/>, by a get once such a queue holds no more items: Python 3.13's
/// <c>queue.ShutDown</c>.
/// </summary>
public class QueueShutDownException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public QueueShutDownException()
        : base("The queue was shut down.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueShutDownException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public QueueShutDownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown by <c>Get</c> on a queue that was completed or shut down and holds no more items.</summary>
public sealed class QueueCompletedException : QueueShutDownException
{
    /// <summary>Creates the exception with a default message.</summary>
    public QueueCompletedException()
        : base("The queue was completed and holds no more items.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueCompletedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public QueueCompletedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown when the coordinator does not answer: its process is gone or the connection to it failed.</summary>
public sealed class CoordinatorLostException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public CoordinatorLostException()
        : base("The AioProcessing coordinator is gone.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public CoordinatorLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public CoordinatorLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

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

/// <summary>
/// An exception raised in another process, carried back as text: its type's full name, its message and its stack
/// trace as they were there.
/// </summary>
public sealed class RemoteException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public RemoteException()
        : base("An exception was raised in another process.")
    {
        RemoteType = "";
        RemoteStackTrace = "";
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public RemoteException(string message)
        : base(message)
    {
        RemoteType = "";
        RemoteStackTrace = "";
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public RemoteException(string message, Exception innerException)
        : base(message, innerException)
    {
        RemoteType = "";
        RemoteStackTrace = "";
    }

    /// <summary>Creates the exception for a remote exception of <paramref name="remoteType"/>.</summary>
    public RemoteException(string remoteType, string message, string remoteStackTrace)
        : base(message)
    {
        RemoteType = remoteType;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The full name of the exception's type in the process that raised it.</summary>
    public string RemoteType { get; }

    /// <summary>The stack trace in the process that raised it.</summary>
    public string RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString() => $"{RemoteType}: {Message}{Environment.NewLine}{RemoteStackTrace}{Environment.NewLine}   --- (raised in another process) ---";
}

/// <summary>Thrown by a barrier wait when the barrier is broken or breaks while waiting (Python's <c>BrokenBarrierError</c>).</summary>
public sealed class BrokenBarrierException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public BrokenBarrierException()
        : base("The barrier is broken.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public BrokenBarrierException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public BrokenBarrierException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
