using Akka.Configuration;

namespace AioProcessing.Node.Worker;

/// <summary>
/// Readies Akka's HOCON duration parser on a second thread while a worker reads its bootstrap and loads its executor.
/// </summary>
/// <remarks>
/// Akka reads every duration of its configuration (dozens while an actor system starts) through one regular
/// expression built with <c>RegexOptions.Compiled</c> (<c>HoconValue.TimeSpanRegex</c>). Its first match has the JIT
/// compile the code generated for it, fully optimized: 56-60 ms of a cold worker on a slow day, all of it on the
/// start's critical path, since the node's first <c>GetTimeSpan</c> comes right after the executor loads. Nothing else
/// runs on the second core at that point (the parent waits), so doing it there takes most of it off that path: in
/// seven alternating rounds of 15 cold starts, six were shorter with it, by 25 ms in the median
/// (bench/results/duration-warm-up.jsonl). Nothing is done twice: a thread that needs the parser while the warm-up
/// compiles it waits for that compilation.
/// </remarks>
internal static class DurationParserWarmUp
{
    /// <summary>Starts the warm-up on a background thread.</summary>
    internal static void Start() => Create().Start();

    /// <summary>The warm-up's thread, not started: a background thread, which never keeps a worker alive.</summary>
    internal static Thread Create() => new(Run) { IsBackground = true, Name = "aio-warm-up" };

    private static void Run()
    {
        try
        {
            ConfigurationFactory.ParseString("warm-up = 1s").GetTimeSpan("warm-up");
            StartupTrace.Mark("duration parser ready");
        }
#pragma warning disable CA1031 // Only an optimisation: the node start meets and reports any real problem itself.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
