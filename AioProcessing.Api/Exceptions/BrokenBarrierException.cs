namespace AioProcessing;

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
