namespace AioProcessing;

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
