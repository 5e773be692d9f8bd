using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// Akka logger that writes to standard error. A worker's standard output is the user's (what the target prints),
/// so the engine's own messages must not land there. With <c>aio.log.quiet-disassociations = on</c> (the default)
/// it drops the engine's reports of an association ending: every worker's exit ends one, and the library already
/// turns lost peers into exit codes and exceptions.
/// </summary>
public sealed class StderrLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly LogThrottle _connectionErrors;

    /// <summary>Creates the logger; Akka does this through <c>akka.loggers</c>.</summary>
    public StderrLogger()
    {
        var config = Context.System.Settings.Config;
        var quiet = config.GetBoolean("aio.log.quiet-disassociations");
        var connectionErrors = _connectionErrors = new LogThrottle(
            LogThrottle.IntervalOf(config),
            line => Console.Error.WriteLine($"[WARNING][{DateTime.UtcNow:HH:mm:ss.fff}][connections] {line}"));
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (quiet && EngineNoise.IsDisassociation(e))
            {
                return;
            }

            var level = e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant();
            if (EngineNoise.IsConnectionError(e))
            {
                // One line without the transport's stack trace, and at most one an interval.
                var kind = EngineNoise.ConnectionErrorKind(e.Cause);
                if (connectionErrors.Admit(kind))
                {
                    Console.Error.WriteLine($"[{level}][{e.Timestamp:HH:mm:ss.fff}][{e.LogSource}] {e.Message}: {kind}");
                }

                return;
            }

            Console.Error.WriteLine($"[{level}][{e.Timestamp:HH:mm:ss.fff}][{e.LogSource}] {e.Message}{(e.Cause is null ? "" : " " + e.Cause)}");
        });
    }

    /// <inheritdoc />
    protected override void PostStop() => _connectionErrors.Dispose();

}

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

/// <summary>
/// An <see cref="ILoggerFactory"/> that hands everything to another except the engine's disassociation reports (when
/// <c>aio.log.quiet-disassociations</c> says so), and the transport's reports of broken connections only once an interval.
/// </summary>
internal sealed class QuietLoggerFactory(ILoggerFactory inner, bool dropDisassociations, TimeSpan summaryInterval) : ILoggerFactory
{
    private readonly LogThrottle _connectionErrors = new(summaryInterval, line => inner.CreateLogger("AioProcessing.Connections").Log(Microsoft.Extensions.Logging.LogLevel.Warning, "{Summary}", line));

    public ILogger CreateLogger(string categoryName) => new QuietLogger(inner.CreateLogger(categoryName), dropDisassociations, _connectionErrors);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The user's factory belongs to the user; only the throttle's timer is ours.
    public void Dispose() => _connectionErrors.Dispose();

    private sealed class QuietLogger(ILogger inner, bool dropDisassociations, LogThrottle connectionErrors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (dropDisassociations && (exception?.GetType().Name == "EndpointDisassociatedException" || (state?.ToString() is { } text && EngineNoise.IsDisassociation(text))))
            {
                return;
            }

            if (state?.ToString() is { } line && EngineNoise.IsConnectionError(line))
            {
                // One entry without the transport's exception, and at most one an interval.
                var kind = exception is null ? CauseLine(line) : EngineNoise.ConnectionErrorKind(exception);
                if (connectionErrors.Admit(kind))
                {
                    // The first line only: Akka's formatted entry carries the transport's stack trace after it.
                    inner.Log(logLevel, eventId, "{Line}: {Kind}", line.Split('\n', 2)[0].TrimEnd(), kind);
                }

                return;
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }

        // Akka writes the cause into the entry's text as "Cause: Type: message" on the line after the message.
        private static string CauseLine(string entry) =>
            entry.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Cause:", StringComparison.Ordinal)) ?? "a connection error";
    }
}
