namespace AioProcessing;

/// <summary>A worker node exited before it joined the coordinator; the message holds its stderr.</summary>
public sealed class AioProcessStartException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public AioProcessStartException()
        : base("The worker node did not start.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public AioProcessStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public AioProcessStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
