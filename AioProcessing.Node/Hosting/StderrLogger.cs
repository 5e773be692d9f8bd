using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// Akka logger that writes to standard error. A worker's standard output is the user's (what the target prints),
/// so the engine's own messages must not land there.
/// </summary>
public sealed class StderrLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>Creates the logger; Akka does this through <c>akka.loggers</c>.</summary>
    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine($"[{e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant()}][{e.Timestamp:HH:mm:ss.fff}][{e.LogSource}] {e.Message}{(e.Cause is null ? "" : " " + e.Cause)}"));
    }
}
