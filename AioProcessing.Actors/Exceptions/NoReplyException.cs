namespace AioProcessing.Actors.Client;

/// <summary>A request's answer did not arrive before its deadline: its recipient is unreachable or gone.</summary>
public sealed class NoReplyException : TimeoutException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NoReplyException()
        : base("No answer arrived before the deadline.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public NoReplyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public NoReplyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
