using System.Net.Sockets;
using AioProcessing.Actors;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;

namespace AioProcessing.Node.Lane;

/// <summary>
/// In the coordinator, a process's reply inbox as seen through its lane: the sender of every request that came over
/// the lane. Its path is the inbox's own (the process's address), so an actor that keys what a process holds by
/// its sender's address, or compares senders, sees the same process whichever path a request took. A message told
/// to it is written on the lane by the telling thread: an answer leaves the coordinator with no hand-off.
/// </summary>
internal sealed class LaneInboxRef : MinimalActorRef
{
    private readonly ExtendedActorSystem _system;
    private readonly SerializerWithStringManifest _serializer;
    private readonly Action _close;
    private readonly IActorRef _overRemoting;
    private volatile bool _closed;

    public LaneInboxRef(ExtendedActorSystem system, ActorPath inbox, LaneFrameWriter writer, SerializerWithStringManifest serializer, Action close)
    {
        _system = system;
        Path = inbox;
        Provider = system.Provider;
        Writer = writer;
        _serializer = serializer;
        _close = close;
        _overRemoting = system.Provider.ResolveActorRef(inbox);
    }

    /// <inheritdoc />
    public override ActorPath Path { get; }

    /// <inheritdoc />
    public override IActorRefProvider Provider { get; }

    /// <summary>The lane's writer.</summary>
    public LaneFrameWriter Writer { get; }

    /// <summary>The lane closed: later messages are dropped, as Akka drops what it sends to a dead process.</summary>
    public void Closed() => _closed = true;

    /// <inheritdoc />
    protected override void TellInternal(object message, IActorRef sender)
    {
        if (_closed)
        {
            return;
        }

        if (message is not IAioMessage)
        {
            // Not part of the protocol the lane carries (an Akka system message, a status): the remoting path has it.
            _overRemoting.Tell(message, sender);
            return;
        }

        byte[] buffer;
        int end;
        try
        {
            (buffer, end) = LaneWire.MessageFrame(_system, _serializer, message, LaneWire.Deliver, fieldBytes: 0);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // As Akka.Remote's endpoint writer does: a message that cannot be written is logged and dropped, and the
            // actor that sent it goes on.
            _system.Log.Warning("Dropped a {0} for {1} that does not serialize: {2}", message.GetType().Name, Path, ex.Message);
            return;
        }

        try
        {
            Writer.Send(buffer, end);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _closed = true;
            _close();
        }
    }
}
