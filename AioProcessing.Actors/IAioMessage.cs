namespace AioProcessing.Actors;

/// <summary>
/// Marker for every message of the AioProcessing protocol. The HOCON in <c>hocon/aio-node.conf</c> binds it to
/// <see cref="Serialization.ControlMessageSerializer"/>, so no protocol message ever falls back to JSON.
/// </summary>
public interface IAioMessage;

/// <summary>An answer to the request with the same <see cref="RequestId"/>: what the caller's pending call completes with.</summary>
public interface IAioReply : IAioMessage
{
    /// <summary>The id the request carried.</summary>
    long RequestId { get; }
}

/// <summary>A request answered by an <see cref="IAioReply"/> with the same <see cref="RequestId"/>.</summary>
public interface IAioRequest : IAioMessage
{
    /// <summary>The id, chosen by the caller, that the answer will carry.</summary>
    long RequestId { get; }
}
