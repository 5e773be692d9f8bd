using DotNetty.Common;

namespace AioProcessing.Node.Hosting;

/// <summary>
/// DotNetty's buffer leak detector, which Akka.Remote's transport runs on, is off in a process that starts a node,
/// unless the environment names a level for it.
/// </summary>
/// <remarks>
/// At DotNetty's default level one buffer allocation in 128 is tracked, and the tracker captures
/// <see cref="Environment.StackTrace"/>, which reads file and line numbers from the assemblies' debug files, and arms a
/// finalizable GC notice. Remoting allocates buffers for every frame, heartbeats included, so an idle coordinator kept
/// running (and the tiered JIT kept compiling) that path: in a 13 s idle window it was the only code run for the first
/// time. The setting is DotNetty's, for the whole process; whoever debugs a buffer leak sets the variable.
/// </remarks>
internal static class NettyLeakDetection
{
    /// <summary>The environment variable DotNetty reads its level from.</summary>
    internal const string LevelVariable = "io.netty.leakDetection.level";

    /// <summary>Turns the detector off unless <see cref="LevelVariable"/> is set.</summary>
    internal static void DisableUnlessConfigured() => Apply(Environment.GetEnvironmentVariable(LevelVariable));

    /// <summary>Turns the detector off unless <paramref name="configuredLevel"/> (the variable's value) names a level.</summary>
    internal static void Apply(string? configuredLevel)
    {
        if (!IsRequested(configuredLevel))
        {
            ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Disabled;
        }
    }

    /// <summary>Whether <paramref name="configuredLevel"/> (the variable's value) asks for DotNetty's leak detection: someone is debugging DotNetty.</summary>
    internal static bool IsRequested(string? configuredLevel) => !string.IsNullOrWhiteSpace(configuredLevel);
}
