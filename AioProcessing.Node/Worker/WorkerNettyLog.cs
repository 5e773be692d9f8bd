using AioProcessing.Node.Hosting;
using DotNetty.Common.Internal.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AioProcessing.Node.Worker;

/// <summary>
/// DotNetty's internal log is off in a worker node, unless <c>io.netty.leakDetection.level</c> is set (whoever debugs
/// DotNetty sets it, and then gets its log too).
/// </summary>
/// <remarks>
/// DotNetty, under Akka.Remote's transport, logs through a <c>Microsoft.Extensions.Logging</c> factory of its own whose
/// only provider writes to an EventSource (<c>DotNetty-Default</c>): nothing a worker's user sees unless a tracing
/// tool listens to that process. Building that factory on the node's start path loaded Microsoft.Extensions.Logging
/// and one more assembly and JIT-compiled about 40 methods (its provider lists over DotNetty's types). With the null
/// factory instead, cold starts were shorter in five of seven alternating rounds of 15, by 13 ms in the median
/// (bench/results/worker-netty-log.jsonl). The coordinator, the application's process, keeps DotNetty's default.
/// </remarks>
internal static class WorkerNettyLog
{
    /// <summary>
    /// Sets DotNetty's log factory to the null one, unless the leak-detection variable is set. Effective for the
    /// DotNetty classes initialized afterwards, so called before the node starts.
    /// </summary>
    internal static void TurnOffUnlessDebugging() => Apply(Environment.GetEnvironmentVariable(NettyLeakDetection.LevelVariable));

    /// <summary>As <see cref="TurnOffUnlessDebugging"/>, given the variable's value.</summary>
    internal static void Apply(string? leakDetectionLevel)
    {
        if (!NettyLeakDetection.IsRequested(leakDetectionLevel))
        {
            InternalLoggerFactory.DefaultFactory = NullLoggerFactory.Instance;
        }
    }
}
