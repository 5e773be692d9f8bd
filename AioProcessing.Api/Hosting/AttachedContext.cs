using System.Collections.Concurrent;
using Akka.Actor;

namespace AioProcessing.Hosting;

/// <summary>
/// The context of an application's own actor system made a coordinator by <c>WithAioProcessing</c>, kept as an Akka
/// extension of that system. The hosting step reserves the options under a token in the system's HOCON
/// (<see cref="Reserve"/>), so that the options, and the secret in them, never enter the configuration; the first
/// <see cref="AioContext.Of"/> creates the extension, which starts the coordinator's actors.
/// </summary>
internal sealed class AttachedContext(AioContext context) : IExtension
{
    private const string Key = "aio.coordinator.attachment";

    private static readonly ConcurrentDictionary<string, AioContextOptions> Pending = new(StringComparer.Ordinal);

    /// <summary>The attached coordinator's context.</summary>
    public AioContext Context { get; } = context;

    /// <summary>Keeps <paramref name="options"/> for the actor system that will be configured with the returned HOCON.</summary>
    public static string Reserve(AioContextOptions options)
    {
        var token = Guid.NewGuid().ToString("N");
        Pending[token] = options;
        return $"{Key} = \"{token}\"";
    }

    /// <summary>Whether <paramref name="system"/> was configured with <c>WithAioProcessing</c>.</summary>
    public static bool IsConfigured(ActorSystem system) => system.Settings.Config.HasPath(Key);

    /// <summary>The context attached to <paramref name="system"/>, attached by the first call.</summary>
    public static AioContext Of(ActorSystem system) => system.WithExtension<AttachedContext, Provider>().Context;

    private sealed class Provider : ExtensionIdProvider<AttachedContext>
    {
        public override AttachedContext CreateExtension(ExtendedActorSystem system)
        {
            var token = system.Settings.Config.GetString(Key);
            var options = Pending.TryGetValue(token, out var reserved) ? reserved : new AioContextOptions();
            return new AttachedContext(AioContext.AttachCoordinator(system, options));
        }
    }
}
