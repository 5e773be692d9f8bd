namespace AioProcessing;

/// <summary>
/// A chunk's task was lost with its worker more often than <c>aio.pool.max-retries</c> allows, or no worker process
/// served the pool for <c>aio.pool.no-worker-timeout</c> while it waited.
/// </summary>
public sealed class WorkerLostException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public WorkerLostException()
        : base("A pool task was lost with its worker process.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public WorkerLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public WorkerLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
