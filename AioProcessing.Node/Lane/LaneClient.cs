using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AioProcessing.Actors;
using Akka.Actor;
using Akka.Serialization;

namespace AioProcessing.Node.Lane;

/// <summary>
/// A process's end of its coordinator's lane (<see cref="LaneListener"/>). <see cref="Tell"/> writes a message on
/// the calling thread; one reader thread hands every answer to the reply inbox, where it completes its call on that
/// thread. So a caller blocked on an answer is woken once, by the thread that read it.
/// </summary>
internal sealed class LaneClient : IDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    // A coordinator that stops reading for this long is taken for lost: a caller must not wait in a send for ever.
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);

    // The lanes open in this process, by actor system and coordinator: while one is open its closing, not a dropped
    // Akka.Remote association (which two live processes' association also does), says that coordinator ended.
    private static readonly ConditionalWeakTable<ActorSystem, ConcurrentDictionary<Address, LaneClient>> s_open = new();

    private readonly ExtendedActorSystem _system;
    private readonly Address _coordinator;
    private readonly Socket _socket;
    private readonly LaneFrameWriter _writer;
    private readonly SerializerWithStringManifest _serializer;
    private readonly IActorRef _inbox;
    private readonly Action<string> _closed;
    private readonly long _maxFrameBytes;

    // Actors bound to an id on this lane; read and written under the writer's gate, so a bind precedes its first use.
    private readonly Dictionary<ActorPath, int> _ids = [];
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _pings = new();
    private long _nextPing;
    private int _disposed;

    private LaneClient(ExtendedActorSystem system, Address coordinator, Socket socket, IActorRef inbox, Action<string> closed)
    {
        _system = system;
        _coordinator = coordinator;
        _socket = socket;
        _writer = new LaneFrameWriter(socket);
        _serializer = LaneListener.SerializerOf(system);
        _inbox = inbox;
        _closed = closed;
        _maxFrameBytes = LaneWire.MaxFrameBytes(system.Settings.Config);
        s_open.GetOrCreateValue(system)[coordinator] = this;
        new Thread(ReadLoop) { Name = "aio-lane-reader", IsBackground = true }.Start();
    }

    /// <summary>
    /// Published on the process's event stream when its lane to the coordinator at <paramref name="Coordinator"/>
    /// closed unasked: that coordinator ended, or declared this process dead (a spawned worker then exits).
    /// </summary>
    /// <param name="Coordinator">The coordinator's address.</param>
    /// <param name="Why">What closed it.</param>
    public sealed record Closed(Address Coordinator, string Why);

    /// <summary>
    /// Whether <paramref name="system"/> has a lane open to the coordinator at <paramref name="coordinator"/>: then
    /// the lane's closing reports that coordinator's end, and a dropped association with it is not its death.
    /// </summary>
    public static bool IsOpen(ActorSystem system, Address coordinator) =>
        s_open.TryGetValue(system, out var lanes) && lanes.ContainsKey(coordinator);

    /// <summary>
    /// Opens the lane to the coordinator at <paramref name="coordinator"/>, when it is on this host, has a lane and
    /// both sides prove <paramref name="secret"/>; null otherwise, with the reason in <paramref name="why"/>.
    /// </summary>
    /// <param name="system">This process's actor system.</param>
    /// <param name="coordinator">The coordinator's address.</param>
    /// <param name="secret">The coordinator's secret.</param>
    /// <param name="inbox">The reply inbox every answer goes to; its path is announced to the coordinator.</param>
    /// <param name="closed">Called once, from the reader thread, when the lane closes unasked (the coordinator ended).</param>
    /// <param name="why">Why there is no lane.</param>
    public static LaneClient? TryOpen(ExtendedActorSystem system, Address coordinator, string secret, IActorRef inbox, Action<string> closed, out string? why)
    {
        var config = system.Settings.Config;
        if (!LaneDirectory.Supported || !config.GetBoolean("aio.lane.enabled", false))
        {
            why = "aio.lane.enabled is off";
            return null;
        }

        if (!LaneDirectory.IsThisHost(coordinator))
        {
            why = "the coordinator is on another host";
            return null;
        }

        var path = LaneDirectory.SocketPath(LaneDirectory.Resolve(config.GetString("aio.lane.directory", "")), coordinator);
        if (!File.Exists(path))
        {
            why = $"no lane socket at {path}";
            return null;
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            Handshake(socket, Encoding.UTF8.GetBytes(secret), inbox.Path.ToSerializationFormatWithAddress(system.Provider.DefaultAddress));
            why = null;
            return new LaneClient(system, coordinator, socket, inbox, closed);
        }
        catch (Exception ex) when (ex is SocketException or InvalidDataException or UnauthorizedAccessException)
        {
            socket.Dispose();
            why = ex.Message;
            return null;
        }
    }

    /// <summary>
    /// Tells <paramref name="target"/> (an actor of the coordinator) <paramref name="message"/>, with the reply inbox
    /// as sender when <paramref name="withInbox"/>. Messages told through one lane reach their actors in the order told.
    /// </summary>
    /// <exception cref="SocketException">The lane is broken (the coordinator ended).</exception>
    /// <exception cref="ObjectDisposedException">The lane was closed.</exception>
    public void Tell(IActorRef target, IAioMessage message, bool withInbox)
    {
        // The id (4 bytes, known under the gate) and the with-inbox byte go between the kind and the manifest.
        var (buffer, end) = LaneWire.MessageFrame(_system, _serializer, message, LaneWire.Tell, fieldBytes: 5);
        try
        {
            buffer[9] = withInbox ? (byte)1 : (byte)0;
            lock (_writer.Gate)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(5), IdOf(target.Path));
                _writer.SendHeld(buffer, end);
            }
        }
        catch (SocketException)
        {
            // A frame may have gone out in part: the lane is unusable. Shutting it makes the reader report the
            // coordinator lost, which fails every waiting call.
            Shut();
            throw;
        }
        finally
        {
            LaneFrameWriter.Return(buffer);
        }
    }

    /// <summary>
    /// Completes once everything told through this lane before the call has been handed to its actors' mailboxes
    /// in the coordinator: what this process sends next on another path comes after it.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var token = Interlocked.Increment(ref _nextPing);
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[token] = pong;
        try
        {
            var buffer = LaneFrameWriter.Rent(9);
            buffer[4] = LaneWire.Ping;
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(5), token);
            _writer.Send(buffer, 13);
            await pong.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        finally
        {
            _pings.TryRemove(token, out _);
        }
    }

    /// <summary>Closes the lane; the coordinator takes that as this process ending.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Forget();
        Shut();
        _socket.Dispose();
    }

    private void Forget()
    {
        if (s_open.TryGetValue(_system, out var lanes))
        {
            lanes.TryRemove(new KeyValuePair<Address, LaneClient>(_coordinator, this));
        }
    }

    private void Shut()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void Handshake(Socket socket, byte[] secret, string inboxPath)
    {
        socket.ReceiveTimeout = (int)HandshakeTimeout.TotalMilliseconds;
        socket.SendTimeout = (int)HandshakeTimeout.TotalMilliseconds;
        Span<byte> hello = stackalloc byte[4 + LaneWire.ProofBytes];
        if (!LaneWire.ReadExactly(socket, hello) || !hello[..4].SequenceEqual(LaneWire.Magic))
        {
            throw new InvalidDataException("the lane socket is not a coordinator's");
        }

        var coordinatorNonce = hello[4..].ToArray();
        var nonce = RandomNumberGenerator.GetBytes(LaneWire.ProofBytes);
        var path = Encoding.UTF8.GetBytes(inboxPath);
        var answer = new byte[(2 * LaneWire.ProofBytes) + 2 + path.Length];
        LaneWire.Proof(secret, fromProcess: true, coordinatorNonce, nonce).CopyTo(answer, 0);
        nonce.CopyTo(answer, LaneWire.ProofBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(answer.AsSpan(2 * LaneWire.ProofBytes), checked((ushort)path.Length));
        path.CopyTo(answer, (2 * LaneWire.ProofBytes) + 2);
        socket.Send(answer);
        Span<byte> proof = stackalloc byte[LaneWire.ProofBytes];
        if (!LaneWire.ReadExactly(socket, proof))
        {
            throw new UnauthorizedAccessException("the coordinator closed the lane: it holds another secret");
        }

        if (!CryptographicOperations.FixedTimeEquals(proof, LaneWire.Proof(secret, fromProcess: false, nonce, coordinatorNonce)))
        {
            throw new UnauthorizedAccessException("the lane's listener did not prove the secret");
        }

        socket.ReceiveTimeout = 0;
        socket.SendTimeout = (int)SendTimeout.TotalMilliseconds;
    }

    // Under the writer's gate: the bind frame goes out just ahead of the message that needs it.
    private int IdOf(ActorPath target)
    {
        if (_ids.TryGetValue(target, out var id))
        {
            return id;
        }

        id = _ids.Count + 1;
        var path = target.ToSerializationFormat();
        var buffer = LaneFrameWriter.Rent(5 + LaneWire.MaxStringBytes(path));
        try
        {
            buffer[4] = LaneWire.Bind;
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(5), id);
            var end = 9 + LaneWire.WriteString(buffer.AsSpan(9), path);
            _writer.SendHeld(buffer, end);
        }
        finally
        {
            LaneFrameWriter.Return(buffer);
        }

        _ids[target] = id;
        return id;
    }

    private void ReadLoop()
    {
        var reader = new LaneFrameReader(_socket, _maxFrameBytes);
        string why;
        try
        {
            while (true)
            {
                var frame = reader.Next();
                if (frame.Count == 0)
                {
                    why = "the coordinator closed the lane";
                    break;
                }

                Handle(frame);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidDataException)
        {
            why = "the lane to the coordinator broke: " + ex.Message;
        }

        Forget();
        foreach (var (_, pong) in _pings)
        {
            pong.TrySetException(new IOException(why));
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            _closed(why);
            _system.EventStream.Publish(new Closed(_coordinator, why));
        }
    }

    private void Handle(ArraySegment<byte> frame)
    {
        var span = frame.AsSpan();
        switch (span[0])
        {
            case LaneWire.Deliver:
                {
                    var manifest = LaneWire.ReadString(span[1..], out var consumed);
                    object message;
                    try
                    {
                        message = LaneWire.ReadMessage(_serializer, frame.AsMemory(1 + consumed), manifest);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException and not InvalidDataException)
                    {
                        // An answer lost here would leave its call waiting: the lane ends instead, and every call fails.
                        throw new InvalidDataException($"an answer (manifest {manifest}) that does not deserialize: {ex.Message}", ex);
                    }

                    _inbox.Tell(message, ActorRefs.NoSender);
                    break;
                }

            case LaneWire.Pong:
                if (_pings.TryRemove(BinaryPrimitives.ReadInt64LittleEndian(span[1..]), out var pong))
                {
                    pong.TrySetResult();
                }

                break;
            default:
                throw new InvalidDataException($"a lane frame of unknown kind {span[0]}");
        }
    }
}
