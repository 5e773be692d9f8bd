using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

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
