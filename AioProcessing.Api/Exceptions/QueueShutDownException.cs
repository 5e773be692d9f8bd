namespace AioProcessing;

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
