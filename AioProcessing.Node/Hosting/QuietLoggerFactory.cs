using Microsoft.Extensions.Logging;

namespace AioProcessing.Node.Hosting;

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
