using Akka.Configuration;

namespace AioProcessing.Internal;

/// <summary>
/// The <c>aio.*</c> settings, read once per context. Their defaults live in <c>hocon/aio-node.conf</c> only, which
/// every node loads under any user HOCON; a key missing here means that file was replaced, and says so.
/// </summary>
internal sealed record AioSettings(int MaxPayloadBytes, TimeSpan StartTimeout, TimeSpan JoinOnDisposeTimeout, TimeSpan AskGrace, int WarmNodes, TimeSpan WarmIdleTimeout, int QueuePrefetch, TimeSpan QueuePrefetchHold, int QueuePutWindow, int PoolMaxRetries)
{
    public static AioSettings From(Config config) => new(
        MaxPayloadBytes: (int)Math.Min(int.MaxValue, Require(config, "aio.payload.max-bytes").GetByteSize("aio.payload.max-bytes")!.Value),
        StartTimeout: Require(config, "aio.node.start-timeout").GetTimeSpan("aio.node.start-timeout"),
        JoinOnDisposeTimeout: Require(config, "aio.node.join-on-dispose-timeout").GetTimeSpan("aio.node.join-on-dispose-timeout"),
        AskGrace: Require(config, "aio.ask.grace").GetTimeSpan("aio.ask.grace"),
        WarmNodes: Require(config, "aio.node.warm-nodes").GetInt("aio.node.warm-nodes"),
        WarmIdleTimeout: Require(config, "aio.node.warm-idle-timeout").GetTimeSpan("aio.node.warm-idle-timeout"),
        QueuePrefetch: Math.Max(1, Require(config, "aio.queue.prefetch").GetInt("aio.queue.prefetch")),
        QueuePrefetchHold: Require(config, "aio.queue.prefetch-hold").GetTimeSpan("aio.queue.prefetch-hold"),
        QueuePutWindow: Math.Max(1, Require(config, "aio.queue.put-window").GetInt("aio.queue.put-window")),
        PoolMaxRetries: Math.Max(0, Require(config, "aio.pool.max-retries").GetInt("aio.pool.max-retries")));

    private static Config Require(Config config, string path) =>
        config.HasPath(path) ? config : throw new ConfigurationException($"The AioProcessing setting '{path}' is missing; its default lives in hocon/aio-node.conf.");
}
