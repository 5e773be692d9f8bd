using System.Security.Cryptography;
using Akka.Configuration;

namespace AioProcessing.Node.Worker;

/// <summary>
/// Readies, on a second thread, two things a starting worker's critical path will need, while that path reads the
/// bootstrap and starts the node: nothing else runs on the second core then (the parent waits for the worker).
/// </summary>
/// <remarks>
/// In the order the start needs them:
/// <list type="number">
/// <item>Akka's HOCON duration parser. Akka reads every duration of its configuration (dozens while an actor system
/// starts) through one regular expression built with <c>RegexOptions.Compiled</c> (<c>HoconValue.TimeSpanRegex</c>),
/// whose first match has the JIT compile the code generated for it, fully optimized: 56-60 ms of a cold worker on a
/// slow day, timed alone, needed right after the executor loads. Seven alternating rounds of 15 cold starts, six
/// shorter with it, by 25 ms in the median (bench/results/duration-warm-up.jsonl).</item>
/// <item>The cryptography of the association's handshake (a nonce, an HMAC), whose first use loads and initializes
/// OpenSSL: ten alternating rounds, seven shorter with it, by 18 ms in the median
/// (bench/results/worker-warm-up-cryptography.jsonl).</item>
/// </list>
/// Readying the executor's serializer and call path there as well made every one of five rounds slower: it competed
/// with the node's start for the CPU and the runtime's locks. Nothing here is done twice: a thread that needs one of
/// these while the warm-up readies it waits for that.
/// </remarks>
internal static class WorkerWarmUp
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
            var nonce = RandomNumberGenerator.GetBytes(32);
            HMACSHA256.HashData(nonce, nonce);
            StartupTrace.Mark("cryptography ready");
        }
#pragma warning disable CA1031 // Only an optimisation: the start meets and reports any real problem itself.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
