namespace AioProcessing;

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
