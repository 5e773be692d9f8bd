namespace AioProcessing.Actors;

/// <summary>
/// Marker for every message of the AioProcessing protocol. The HOCON in <c>hocon/aio-node.conf</c> binds it to
/// <see cref="Serialization.ControlMessageSerializer"/>, so no protocol message ever falls back to JSON.
/// </summary>
public interface IAioMessage;
