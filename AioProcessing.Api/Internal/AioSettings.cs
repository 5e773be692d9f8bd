using Akka.Configuration;

namespace AioProcessing.Internal;

/// <summary>The <c>aio.*</c> settings of <c>hocon/aio-node.conf</c>, read once per context.</summary>
internal sealed record AioSettings(int MaxPayloadBytes, TimeSpan StartTimeout, TimeSpan JoinOnDisposeTimeout, TimeSpan AskGrace, int WarmNodes)
{
    public static AioSettings From(Config config) => new(
        MaxPayloadBytes: (int)Math.Min(int.MaxValue, config.GetByteSize("aio.payload.max-bytes") ?? 33_488_896),
        StartTimeout: config.GetTimeSpan("aio.node.start-timeout", TimeSpan.FromSeconds(30)),
        JoinOnDisposeTimeout: config.GetTimeSpan("aio.node.join-on-dispose-timeout", TimeSpan.FromSeconds(10)),
        AskGrace: config.GetTimeSpan("aio.ask.grace", TimeSpan.FromSeconds(10)),
        WarmNodes: config.GetInt("aio.node.warm-nodes", 0));
}
