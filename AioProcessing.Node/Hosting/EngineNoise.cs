using Akka.Event;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// The engine's reports of an association ending, which <c>aio.log.quiet-disassociations</c> drops: every worker's
/// exit ends one, and the library already turns lost peers into exit codes and exceptions.
/// </summary>
public static class EngineNoise
{
    /// <summary>Whether <paramref name="e"/> reports an association ending.</summary>
    public static bool IsDisassociation(LogEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        // The engine's exception type is internal, so it is matched by name.
        return e.Cause?.GetType().Name == "EndpointDisassociatedException" || (e.Message?.ToString() is { } text && IsDisassociation(text));
    }

    /// <summary>
    /// Whether <paramref name="e"/> is the transport's report of a connection that broke (a frame over the size limit,
    /// garbage, a reset): anyone who can reach the port can cause as many as they like, so they are rate-limited.
    /// </summary>
    public static bool IsConnectionError(LogEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Message?.ToString() is { } text && IsConnectionError(text);
    }

    /// <summary>Whether the log text <paramref name="text"/> is the transport's report of a connection that broke.</summary>
    /// <remarks>Through a host's <c>ILogger</c>, Akka hands over the whole formatted entry (level, time, source, then the message).</remarks>
    public static bool IsConnectionError(string text) => text.Contains("Error caught channel", StringComparison.Ordinal);

    /// <summary>What broke a connection, in a few words: the innermost exception's type and message.</summary>
    public static string ConnectionErrorKind(Exception? cause)
    {
        for (; cause?.InnerException is not null; cause = cause.InnerException)
        {
        }

        return cause is null ? "a connection error" : $"{cause.GetType().Name}: {cause.Message}";
    }

    /// <summary>Whether the log text <paramref name="text"/> reports an association ending.</summary>
    public static bool IsDisassociation(string text) =>
        text.Contains("Association with remote system", StringComparison.Ordinal)
        || text.Contains("Disassociated", StringComparison.Ordinal)
        || text.Contains("is reported as quarantined", StringComparison.Ordinal)
        || text.Contains("Detected unreachable", StringComparison.Ordinal)
        // A probe of a joined node whose connection dropped finds nobody there: the coordinator says so itself.
        || text.Contains("Tried to associate with unreachable remote address", StringComparison.Ordinal);
}
