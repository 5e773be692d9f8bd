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
