using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;

namespace AioProcessing.Node.Security;

/// <summary>
/// Where a node's secret is kept for its transport: never in the configuration (which can be logged), only a token
/// that names it. <see cref="Configure"/> gives the HOCON that turns authentication on for one actor system.
/// </summary>
public static class NodeSecrets
{
    private const string TokenPath = "aio.auth.token";
    private static readonly ConcurrentDictionary<string, byte[]> Secrets = new(StringComparer.Ordinal);

    /// <summary>
    /// HOCON that makes the actor system it configures authenticate every association with <paramref name="secret"/>
    /// (<see cref="AuthenticatingTransport"/> under Akka's protocol layer).
    /// </summary>
    /// <param name="secret">The coordinator's secret, shared by all its nodes.</param>
    /// <returns>The HOCON to layer over the node's configuration.</returns>
    public static Config Configure(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var token = Guid.NewGuid().ToString("N");
        Secrets[token] = System.Text.Encoding.UTF8.GetBytes(secret);
        // No space after the comma: Akka keeps the quotes of a value that has one, and then cannot load the type.
        return ConfigurationFactory.ParseString($$"""
            aio.auth.token = "{{token}}"
            akka.remote.dot-netty.tcp.applied-adapters = [aio-auth]
            akka.remote.adapters.aio-auth = "{{typeof(AuthenticatingTransportProvider).FullName}},{{typeof(AuthenticatingTransportProvider).Assembly.GetName().Name}}"
            """);
    }

    /// <summary>
    /// Why the peer at <paramref name="host"/>:<paramref name="port"/> last refused this system's proof of the secret
    /// (it holds another secret), or null if it never did.
    /// </summary>
    /// <param name="system">This node's actor system.</param>
    /// <param name="host">The peer's host.</param>
    /// <param name="port">The peer's port.</param>
    /// <returns>The reason, or null.</returns>
    public static string? RefusedBy(ActorSystem system, string host, int port) =>
        AuthenticatingTransport.Of(system) is { } transport && transport.RefusedBy.TryGetValue($"{host}:{port}", out var why) ? why : null;

    internal static byte[] Of(ActorSystem system) =>
        system.Settings.Config.GetString(TokenPath, null) is { } token && Secrets.TryGetValue(token, out var secret)
            ? secret
            : throw new ConfigurationException("The aio-auth transport adapter needs a secret: configure the node with NodeSecrets.Configure(secret).");
}
