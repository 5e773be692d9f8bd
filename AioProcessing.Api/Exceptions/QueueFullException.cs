namespace AioProcessing;

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
