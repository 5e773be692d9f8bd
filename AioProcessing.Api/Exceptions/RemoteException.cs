namespace AioProcessing;

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
