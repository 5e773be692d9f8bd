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
    /// <summary>Creates the logger; Akka does this through <c>akka.loggers</c>.</summary>
    public StderrLogger()
    {
        var quiet = Context.System.Settings.Config.GetBoolean("aio.log.quiet-disassociations");
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (quiet && IsDisassociation(e))
            {
                return;
            }

            var level = e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant();
            Console.Error.WriteLine($"[{level}][{e.Timestamp:HH:mm:ss.fff}][{e.LogSource}] {e.Message}{(e.Cause is null ? "" : " " + e.Cause)}");
        });
    }

    private static bool IsDisassociation(LogEvent e) =>
        // The engine's exception type is internal, so it is matched by name.
        e.Cause?.GetType().Name == "EndpointDisassociatedException"
        || (e.Message?.ToString() is { } text
            && (text.StartsWith("Association with remote system", StringComparison.Ordinal)
                || text.Contains("Disassociated", StringComparison.Ordinal)
                || text.Contains("is reported as quarantined", StringComparison.Ordinal)
                || text.StartsWith("Detected unreachable", StringComparison.Ordinal)
                // A probe of a joined node whose connection dropped finds nobody there: the coordinator says so itself.
                || text.StartsWith("Tried to associate with unreachable remote address", StringComparison.Ordinal)));
}
