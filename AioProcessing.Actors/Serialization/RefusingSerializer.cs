using Akka.Actor;
using Akka.Serialization;

namespace AioProcessing.Actors.Serialization;

/// <summary>
/// Bound to <see cref="object"/> in place of Akka's JSON fallback, which writes type names and builds whatever type
/// a frame names. A message with no serializer of its own is refused, on the way out (with its type in the error)
/// and on the way in, so that no polymorphic deserializer is ever fed by the network.
/// </summary>
public sealed class RefusingSerializer : Serializer
{
    /// <summary>Creates the serializer; Akka does this through <c>akka.actor.serializers</c>.</summary>
    /// <param name="system">The actor system.</param>
    public RefusingSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <summary>
    /// Creates the serializer under a name that has settings in <c>akka.actor.serialization-settings</c>, which
    /// Akka passes to the constructor (nodes list it as <c>json</c> too, which has settings); they are ignored.
    /// </summary>
    /// <param name="system">The actor system.</param>
    /// <param name="settings">The settings under the serializer's name; unused.</param>
    public RefusingSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => 4712;

    /// <inheritdoc />
    public override bool IncludeManifest => false;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) =>
        throw new ArgumentException($"{obj?.GetType().FullName ?? "null"} has no serializer: AioProcessing sends only its own messages and Akka's, never a JSON fallback (akka.actor.serialization-bindings).", nameof(obj));

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type type) =>
        throw new System.Runtime.Serialization.SerializationException($"Refused to deserialize a message of type {type?.FullName ?? "unknown"} that has no serializer of its own (no JSON fallback).");
}
