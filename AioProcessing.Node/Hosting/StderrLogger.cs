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
    /// <summary>Creates the logger; Akka does this through <c>akka.loggers</c>.</summary>
    public StderrLogger()
    {
        var quiet = Context.System.Settings.Config.GetBoolean("aio.log.quiet-disassociations");
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (quiet && EngineNoise.IsDisassociation(e))
            {
                return;
            }

            var level = e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant();
            Console.Error.WriteLine($"[{level}][{e.Timestamp:HH:mm:ss.fff}][{e.LogSource}] {e.Message}{(e.Cause is null ? "" : " " + e.Cause)}");
        });
    }
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

    /// <summary>Whether the log text <paramref name="text"/> reports an association ending.</summary>
    public static bool IsDisassociation(string text) =>
        text.Contains("Association with remote system", StringComparison.Ordinal)
        || text.Contains("Disassociated", StringComparison.Ordinal)
        || text.Contains("is reported as quarantined", StringComparison.Ordinal)
        || text.Contains("Detected unreachable", StringComparison.Ordinal)
        // A probe of a joined node whose connection dropped finds nobody there: the coordinator says so itself.
        || text.Contains("Tried to associate with unreachable remote address", StringComparison.Ordinal);
}

/// <summary>An <see cref="ILoggerFactory"/> that hands everything to another except the engine's disassociation reports.</summary>
internal sealed class QuietLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new QuietLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The user's factory belongs to the user.
    public void Dispose()
    {
    }

    private sealed class QuietLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception?.GetType().Name == "EndpointDisassociatedException" || (state?.ToString() is { } text && EngineNoise.IsDisassociation(text)))
            {
                return;
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
