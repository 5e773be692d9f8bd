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
