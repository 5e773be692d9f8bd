using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using AioProcessing.Actors;
using AioProcessing.Actors.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;

namespace AioProcessing.Node.Lane;

/// <summary>
/// The coordinator's end of the same-host lane: a Unix domain socket that processes on this host open beside
/// Akka.Remote. Each connection proves the secret before anything it sends is read, announces its reply inbox,
/// and then its requests are told, by the thread that read them, to the same actors Akka.Remote would deliver them
/// to, with a stand-in for that inbox as sender (<see cref="LaneInboxRef"/>). An actor's answer is written back on
/// the socket by the actor's own thread. No actor knows which path a message took.
/// </summary>
internal sealed class LaneListener : IDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LaneSendTimeout = TimeSpan.FromSeconds(10);

    private readonly ExtendedActorSystem _system;
    private readonly byte[] _secret;
    private readonly IActorRef _nodeManager;
    private readonly SerializerWithStringManifest _serializer;
    private readonly ILoggingAdapter _log;
    private readonly Socket _socket;
    private readonly long _maxFrameBytes;
    private readonly int _maxUnproven;
    private readonly HashSet<ProcessLane> _lanes = [];
    private int _unproven;
    private int _disposed;

    private LaneListener(ExtendedActorSystem system, byte[] secret, IActorRef nodeManager, string path)
    {
        _system = system;
        _secret = secret;
        _nodeManager = nodeManager;
        _serializer = SerializerOf(system);
        _log = Logging.GetLogger(system, "aio-lane");
        var config = system.Settings.Config;
        _maxFrameBytes = LaneWire.MaxFrameBytes(config);
        _maxUnproven = Math.Max(1, config.GetInt("aio.security.max-unauthenticated-connections", 64));
        Path = path;
        File.Delete(path); // A socket left by a coordinator that had this address before; the address is ours now.
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _socket.Bind(new UnixDomainSocketEndPoint(path));
            _socket.Listen(128);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        new Thread(AcceptLoop) { Name = "aio-lane-accept", IsBackground = true }.Start();
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the lane of the coordinator <paramref name="system"/> when <c>aio.lane.enabled</c> says so and the
    /// platform has it; null otherwise, or when the directory is not safe (processes then use Akka.Remote only).
    /// </summary>
    public static LaneListener? Start(ExtendedActorSystem system, string secret, IActorRef nodeManager)
    {
        var config = system.Settings.Config;
        if (!OperatingSystem.IsLinux() || !config.GetBoolean("aio.lane.enabled", false))
        {
            return null;
        }

        try
        {
            var directory = LaneDirectory.Resolve(config.GetString("aio.lane.directory", ""));
            LaneDirectory.Secure(directory);
            var listener = new LaneListener(system, System.Text.Encoding.UTF8.GetBytes(secret), nodeManager, LaneDirectory.SocketPath(directory, system.Provider.DefaultAddress));
            system.RegisterOnTermination(listener.Dispose);
            return listener;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SocketException)
        {
            Logging.GetLogger(system, "aio-lane").Warning("The same-host lane is off, processes use Akka.Remote only: {0}", ex.Message);
            return null;
        }
    }

    /// <summary>The serializer every lane message is written with: the one Akka binds to <see cref="IAioMessage"/>.</summary>
    public static SerializerWithStringManifest SerializerOf(ExtendedActorSystem system) =>
        system.Serialization.FindSerializerForType(typeof(IAioMessage)) as SerializerWithStringManifest
            ?? throw new InvalidOperationException("IAioMessage is not bound to AioProcessing's control message serializer (hocon/aio-node.conf).");

    /// <summary>Closes the socket and every lane; their processes see the coordinator gone.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }

        ProcessLane[] lanes;
        lock (_lanes)
        {
            lanes = [.. _lanes];
        }

        foreach (var lane in lanes)
        {
            lane.Close();
        }
    }

    private void AcceptLoop()
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            Socket connection;
            try
            {
                connection = _socket.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            if (Interlocked.Increment(ref _unproven) > _maxUnproven)
            {
                Interlocked.Decrement(ref _unproven);
                connection.Dispose();
                _log.Warning("Refused a lane connection: {0} others are still proving the secret.", _maxUnproven);
                continue;
            }

            new Thread(() => Serve(connection)) { Name = "aio-lane", IsBackground = true }.Start();
        }
    }

    private void Serve(Socket connection)
    {
        ProcessLane? lane = null;
        try
        {
            lane = Admit(connection);
        }
        catch (Exception ex) when (ex is SocketException or InvalidDataException or UriFormatException or ArgumentException)
        {
            _log.Warning("Refused a lane connection: {0}", ex.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _unproven);
        }

        if (lane is null)
        {
            connection.Dispose();
            return;
        }

        lane.Run();
    }

    // The handshake reads a fixed number of bytes, within a time limit, before it trusts the peer with anything.
    private ProcessLane? Admit(Socket connection)
    {
        connection.ReceiveTimeout = (int)HandshakeTimeout.TotalMilliseconds;
        connection.SendTimeout = (int)HandshakeTimeout.TotalMilliseconds;
        Span<byte> hello = stackalloc byte[4 + LaneWire.ProofBytes];
        LaneWire.Magic.CopyTo(hello);
        var nonce = RandomNumberGenerator.GetBytes(LaneWire.ProofBytes);
        nonce.CopyTo(hello[4..]);
        connection.Send(hello);
        Span<byte> answer = stackalloc byte[(2 * LaneWire.ProofBytes) + 2];
        if (!LaneWire.ReadExactly(connection, answer))
        {
            throw new InvalidDataException("the peer closed the lane before proving the secret");
        }

        var proof = answer[..LaneWire.ProofBytes];
        var peerNonce = answer.Slice(LaneWire.ProofBytes, LaneWire.ProofBytes).ToArray();
        if (!CryptographicOperations.FixedTimeEquals(proof, LaneWire.Proof(_secret, fromProcess: true, nonce, peerNonce)))
        {
            throw new InvalidDataException("the peer did not prove the coordinator's secret");
        }

        var pathBytes = BinaryPrimitives.ReadUInt16LittleEndian(answer[(2 * LaneWire.ProofBytes)..]);
        if (pathBytes is 0 or > LaneWire.MaxPathBytes)
        {
            throw new InvalidDataException($"an inbox path of {pathBytes} bytes");
        }

        var path = new byte[pathBytes];
        if (!LaneWire.ReadExactly(connection, path))
        {
            throw new InvalidDataException("the peer closed the lane in its handshake");
        }

        connection.Send(LaneWire.Proof(_secret, fromProcess: false, peerNonce, nonce));
        var inbox = ActorPath.Parse(System.Text.Encoding.UTF8.GetString(path));
        connection.ReceiveTimeout = 0;
        // A process that stops reading for this long is taken for dead: an actor thread must not wait on it for ever.
        connection.SendTimeout = (int)LaneSendTimeout.TotalMilliseconds;
        var lane = new ProcessLane(this, connection, inbox);
        lock (_lanes)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return null;
            }

            _lanes.Add(lane);
        }

        return lane;
    }

    /// <summary>One process's lane: its reader (this thread) and the stand-in for its reply inbox.</summary>
    private sealed class ProcessLane
    {
        private readonly LaneListener _listener;
        private readonly Socket _socket;
        private readonly LaneInboxRef _inbox;
        private readonly Dictionary<int, IActorRef> _targets = [];

        public ProcessLane(LaneListener listener, Socket socket, ActorPath inbox)
        {
            _listener = listener;
            _socket = socket;
            _inbox = new LaneInboxRef(listener._system, inbox, new LaneFrameWriter(socket), listener._serializer, Close);
        }

        public void Close()
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }

        public void Run()
        {
            var reader = new LaneFrameReader(_socket, _listener._maxFrameBytes);
            Hosting.DedicatedThreadExecutor.MarkLaneReader();
            // Told from this thread, as LinkClosed is below: the manager hears them in order.
            _listener._nodeManager.Tell(new NodeProtocol.LinkOpened(_inbox.Path.Address, Close));
            try
            {
                while (true)
                {
                    var frame = reader.Next();
                    if (frame.Count == 0)
                    {
                        break;
                    }

                    Handle(frame);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidDataException)
            {
                if (ex is InvalidDataException && Volatile.Read(ref _listener._disposed) == 0)
                {
                    _listener._log.Warning("Closing the lane of {0}: {1}.", _inbox.Path.Address, ex.Message);
                }
            }
            finally
            {
                _inbox.Closed();
                _socket.Dispose();
                lock (_listener._lanes)
                {
                    _listener._lanes.Remove(this);
                }

                // A lane closes when its process ends: the same news as a dropped connection, sooner.
                _listener._nodeManager.Tell(new NodeProtocol.LinkClosed(_inbox.Path.Address));
            }
        }

        private void Handle(ArraySegment<byte> frame)
        {
            var span = frame.AsSpan();
            switch (span[0])
            {
                case LaneWire.Bind:
                    {
                        var id = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
                        var path = LaneWire.ReadString(span[5..], out _);
                        _targets[id] = _listener._system.Provider.ResolveActorRef(path);
                        break;
                    }

                case LaneWire.Tell:
                    {
                        var id = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
                        var withInbox = span[5] != 0;
                        var manifest = LaneWire.ReadString(span[6..], out var consumed);
                        if (!_targets.TryGetValue(id, out var target))
                        {
                            throw new InvalidDataException($"a message for actor {id}, which was never bound");
                        }

                        object message;
                        try
                        {
                            message = LaneWire.ReadMessage(_listener._serializer, frame.AsMemory(6 + consumed), manifest);
                        }
                        catch (Exception ex) when (ex is not OutOfMemoryException)
                        {
                            // As Akka.Remote does with a message it cannot read: dropped and logged, the lane goes on.
                            _listener._log.Warning("Dropped a lane message for {0} (manifest {1}) that does not deserialize: {2}", target.Path, manifest, ex.Message);
                            break;
                        }

                        target.Tell(message, withInbox ? _inbox : ActorRefs.NoSender);
                        break;
                    }

                case LaneWire.Ping:
                    {
                        // Everything read before the ping has been told to its actor: the pong says so.
                        var buffer = LaneFrameWriter.Rent(9);
                        buffer[4] = LaneWire.Pong;
                        span.Slice(1, 8).CopyTo(buffer.AsSpan(5));
                        _inbox.Writer.Send(buffer, 13);
                        break;
                    }

                default:
                    throw new InvalidDataException($"a lane frame of unknown kind {span[0]}");
            }
        }
    }
}
