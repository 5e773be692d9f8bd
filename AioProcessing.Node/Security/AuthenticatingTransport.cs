using System.Collections.Concurrent;
using System.Security.Cryptography;
using AioProcessing.Node.Hosting;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;

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

/// <summary>Creates the <see cref="AuthenticatingTransport"/>; named in <c>akka.remote.adapters</c>.</summary>
public sealed class AuthenticatingTransportProvider : ITransportAdapterProvider
{
    /// <inheritdoc />
    public Transport Create(Transport wrappedTransport, ExtendedActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return new AuthenticatingTransport(wrappedTransport, system, NodeSecrets.Of(system));
    }
}

/// <summary>
/// A transport adapter that proves, in both directions, that the peer knows the coordinator's secret before a single
/// frame of the association reaches Akka's protocol layer (and so before anything from the peer is deserialized),
/// as multiprocessing's authkey challenge does. The connecting side sends a random nonce (Hello), the listening side
/// its own; the connecting side proves the secret, and only then does the listening side prove it back. A proof is
/// HMAC-SHA256(secret, role, peer's nonce, own nonce); the roles differ by direction, so an answer cannot be
/// reflected, and a stranger gets no proof to guess the secret from. The connecting side repeats its Hello until it
/// is answered (see <see cref="HelloRepeat"/>); the listener answers a repeat again. A peer that sends anything else, a wrong answer, or nothing within <see cref="HandshakeTimeout"/> is
/// logged and disconnected. Addresses and schemes are those of the wrapped transport.
/// </summary>
internal sealed class AuthenticatingTransport : Transport
{
    internal static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What the wrapped transport adds to a payload within its frame limit: the decoder counts the 4-byte length
    /// prefix in the frame size, so a payload of exactly the frame size would be refused (and the connection cut).
    /// Kept with room to spare.
    /// </summary>
    private const int FrameOverhead = 64;

    /// <summary>
    /// How long the connecting side waits for the listener's nonce before it says Hello again. Over TLS, under load,
    /// a first Hello once went unanswered until <see cref="HandshakeTimeout"/> (and the worker never joined). Where it
    /// stuck is not known; DotNetty's TLS handler queues writes made before its own handshake completes, and a later
    /// write pushes out whatever is queued.
    /// </summary>
    internal static readonly TimeSpan HelloRepeat = TimeSpan.FromMilliseconds(500);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorSystem, AuthenticatingTransport> Instances = [];
    private readonly Transport _wrapped;
    private readonly byte[] _secret;
    private readonly ILoggingAdapter _log;
    private readonly LogThrottle _refusalLog;
    private readonly int _maxUnproven;
    private readonly long _maxMessageBytes;
    private int _unproven;

    public AuthenticatingTransport(Transport wrapped, ExtendedActorSystem system, byte[] secret)
    {
        _wrapped = wrapped;
        _secret = secret;
        System = system;
        Config = wrapped.Config;
        SchemeIdentifier = wrapped.SchemeIdentifier;
        _log = Logging.GetLogger(system, "aio-auth");
        var config = system.Settings.Config;
        _maxUnproven = config.GetInt("aio.security.max-unauthenticated-connections", 64);
        _maxMessageBytes = Math.Max(wrapped.MaximumPayloadBytes, config.GetByteSize("aio.security.max-message-bytes", null) ?? 268435456L);
        _refusalLog = new LogThrottle(LogThrottle.IntervalOf(config), line => _log.Warning("{0}", line));
        Instances.AddOrUpdate(system, this);
    }

    /// <summary>Peers (host:port) that refused this node's proof, and what they said.</summary>
    internal ConcurrentDictionary<string, string> RefusedBy { get; } = new(StringComparer.Ordinal);

    /// <summary>How many associations this node refused (diagnostics and specs).</summary>
    internal long Refusals => Interlocked.Read(ref _refusals);

    private long _refusals;

    internal static AuthenticatingTransport? Of(ActorSystem system) => Instances.TryGetValue(system, out var transport) ? transport : null;

    /// <summary>
    /// The largest message an authenticated peer may send: messages larger than one frame of the wrapped transport
    /// travel as <see cref="Fragments"/>, so the wrapped transport's frame size (which bounds what a peer that has
    /// proved nothing can make this node buffer) stays small while large items still go through.
    /// </summary>
    public override long MaximumPayloadBytes => _maxMessageBytes;

    public override bool IsResponsibleFor(Address remote) => _wrapped.IsResponsibleFor(remote);

    public override Task<bool> Shutdown()
    {
        _refusalLog.Dispose();
        return _wrapped.Shutdown();
    }

    public override Task<bool> ManagementCommand(object message) => _wrapped.ManagementCommand(message);

    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var (address, inner) = await _wrapped.Listen().ConfigureAwait(false);
        var upper = new TaskCompletionSource<IAssociationEventListener>(TaskCreationOptions.RunContinuationsAsynchronously);
        inner.SetResult(new Gate(this, upper.Task));
        return (address, upper);
    }

    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        var handle = await _wrapped.Associate(remoteAddress).ConfigureAwait(false);
        var session = new Session(this, handle, outbound: true);
        return await session.Completed.ConfigureAwait(false);
    }

    /// <summary>Inbound associations: each one is handed up only once its peer proved the secret.</summary>
    private sealed class Gate(AuthenticatingTransport transport, Task<IAssociationEventListener> upper) : IAssociationEventListener
    {
        public void Notify(IAssociationEvent ev)
        {
            if (ev is not InboundAssociation inbound)
            {
                return;
            }

            // Each connection that has proved nothing may hold up to one frame of the wrapped transport until its
            // handshake ends (at most HandshakeTimeout): bounding their number bounds what strangers can make us hold.
            if (Interlocked.Increment(ref transport._unproven) > transport._maxUnproven)
            {
                Interlocked.Decrement(ref transport._unproven);
                transport.NoteRefusal(inbound.Association.RemoteAddress, inbound: true, $"{transport._maxUnproven} connections are already proving themselves (aio.security.max-unauthenticated-connections)");
                inbound.Association.Disassociate("aio-auth: too many unauthenticated connections", transport._log);
                return;
            }

            var session = new Session(transport, inbound.Association, outbound: false);
            session.Completed.ContinueWith(
                async done =>
                {
                    Interlocked.Decrement(ref transport._unproven);
                    if (done.IsCompletedSuccessfully)
                    {
                        (await upper.ConfigureAwait(false)).Notify(new InboundAssociation(done.Result));
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>One association's handshake, then its pass-through.</summary>
    private sealed class Session : IHandleEventListener
    {
        private const byte HelloTag = 1, ProofTag = 2, RefusedTag = 3;
        private static readonly byte[] Magic = "AIO1"u8.ToArray();

        private readonly AuthenticatingTransport _transport;
        private readonly AssociationHandle _inner;
        private readonly bool _outbound;
        private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(32);
        private readonly TaskCompletionSource<AssociationHandle> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _gate = new();
        private readonly List<IHandleEvent> _early = [];
        private readonly Timer _timeout;
        private readonly Timer? _helloRepeat;
        private byte[]? _peerNonce;
        private AuthenticatedHandle? _handle;
        private IHandleEventListener? _upper;
        private Fragments.Reassembly? _reassembly;

        public Session(AuthenticatingTransport transport, AssociationHandle inner, bool outbound)
        {
            _transport = transport;
            _inner = inner;
            _outbound = outbound;
            _timeout = new Timer(_ => Refuse("no proof of the secret within " + HandshakeTimeout.TotalSeconds + " s"), null, HandshakeTimeout, Timeout.InfiniteTimeSpan);
            // The connecting side speaks first, so nothing is written on a connection before its peer has spoken on it
            // (with TLS, a write made before the TLS handshake completed could be overtaken by a later one).
            if (outbound)
            {
                inner.Write(Frame(HelloTag, _nonce));
                _helloRepeat = new Timer(_ => RepeatHello(), null, HelloRepeat, HelloRepeat);
            }

            inner.ReadHandlerSource.SetResult(this);
        }

        public Task<AssociationHandle> Completed => _completed.Task;

        public void Notify(IHandleEvent ev)
        {
            lock (_gate)
            {
                if (_upper is not null)
                {
                    Deliver(_upper, ev);
                    return;
                }

                if (_handle is not null)
                {
                    // Proven, but Akka's layer has not registered its listener yet.
                    _early.Add(ev);
                    return;
                }

                if (ev is not InboundPayload payload)
                {
                    Refuse("it disconnected during the handshake");
                    return;
                }

                Handshake(payload.Payload.Span);
            }
        }

        private void Handshake(ReadOnlySpan<byte> frame)
        {
            if (frame.Length != Magic.Length + 1 + 32 || !frame[..Magic.Length].SequenceEqual(Magic))
            {
                Refuse("it sent a frame that is not part of the handshake (a peer that does not know the protocol, or garbage)");
                return;
            }

            var body = frame[(Magic.Length + 1)..];
            switch (frame[Magic.Length])
            {
                case HelloTag when _peerNonce is not null && body.SequenceEqual(_peerNonce):
                    // A repeated Hello (see HelloRepeat): the listener repeats its answer, which may be what was
                    // stuck; the connecting side already answered the first one.
                    if (!_outbound)
                    {
                        _inner.Write(Frame(HelloTag, _nonce));
                    }

                    break;
                case HelloTag when _peerNonce is null:
                    _helloRepeat?.Dispose();
                    _peerNonce = body.ToArray();
                    // The listening side answers with its nonce only: it proves nothing to a peer that has not proved
                    // itself first (so a stranger gets no HMAC to guess the secret from), as multiprocessing does.
                    _inner.Write(_outbound ? Frame(ProofTag, Proof(fromConnectingSide: true, _peerNonce, _nonce)) : Frame(HelloTag, _nonce));
                    break;
                case ProofTag when _peerNonce is not null:
                    if (!CryptographicOperations.FixedTimeEquals(body, Proof(fromConnectingSide: !_outbound, _nonce, _peerNonce)))
                    {
                        // Said so that an honest peer with the wrong secret can report it as such; it learns nothing else.
                        _inner.Write(Frame(RefusedTag, new byte[32]));
                        NoteSecretsDiffer();
                        Refuse("it does not know the coordinator's secret");
                        return;
                    }

                    if (!_outbound)
                    {
                        _inner.Write(Frame(ProofTag, Proof(fromConnectingSide: false, _peerNonce, _nonce)));
                    }

                    _timeout.Dispose();
                    _handle = new AuthenticatedHandle(_inner, _transport._wrapped.MaximumPayloadBytes - FrameOverhead);
                    _handle.ReadHandlerSource.Task.ContinueWith(t => Attach(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                    _completed.TrySetResult(_handle);
                    break;
                case RefusedTag:
                    NoteSecretsDiffer();
                    Refuse("it refused this node's proof of the secret (the secrets differ)");
                    break;
                default:
                    Refuse("it broke the order of the handshake");
                    break;
            }
        }

        private void RepeatHello()
        {
            lock (_gate)
            {
                // Under the gate: a repeat must not follow the proof that answers the peer's nonce.
                if (_peerNonce is null && !_completed.Task.IsCompleted)
                {
                    _inner.Write(Frame(HelloTag, _nonce));
                }
            }
        }

        // Whichever side finds out first, both proofs failed: the two secrets differ.
        private void NoteSecretsDiffer() =>
            _transport.RefusedBy[$"{_inner.RemoteAddress.Host}:{_inner.RemoteAddress.Port}"] = "the secrets differ";

        private void Attach(IHandleEventListener upper)
        {
            lock (_gate)
            {
                foreach (var ev in _early)
                {
                    Deliver(upper, ev);
                }

                _early.Clear();
                _upper = upper;
            }
        }

        // After the handshake: whole frames go up as they are; fragments go up once their message is complete.
        private void Deliver(IHandleEventListener upper, IHandleEvent ev)
        {
            if (ev is not InboundPayload { Payload: { Length: > 0 } payload } || payload[0] != Fragments.Marker)
            {
                upper.Notify(ev);
                return;
            }

            _reassembly ??= new Fragments.Reassembly(_transport._maxMessageBytes);
            if (!_reassembly.Add(payload.Span, out var message, out var error))
            {
                _transport._log.Warning("Disassociating {0}: {1}.", _inner.RemoteAddress, error);
                _inner.Disassociate("aio-auth: " + error, _transport._log);
                return;
            }

            if (message is not null)
            {
                upper.Notify(new InboundPayload(message));
            }
        }

        // The role byte makes the two directions' answers different, so that a peer cannot reflect ours back.
        private byte[] Proof(bool fromConnectingSide, byte[] challengedNonce, byte[] proverNonce)
        {
            var data = new byte[1 + challengedNonce.Length + proverNonce.Length];
            data[0] = fromConnectingSide ? (byte)'C' : (byte)'L';
            challengedNonce.CopyTo(data, 1);
            proverNonce.CopyTo(data, 1 + challengedNonce.Length);
            return HMACSHA256.HashData(_transport._secret, data);
        }

        private static ByteString Frame(byte tag, byte[] body)
        {
            var frame = new byte[Magic.Length + 1 + body.Length];
            Magic.CopyTo(frame, 0);
            frame[Magic.Length] = tag;
            body.CopyTo(frame, Magic.Length + 1);
            return ByteString.CopyFrom(frame);
        }

        private void Refuse(string why)
        {
            if (!_completed.TrySetException(new InvalidAssociationException($"Association with {_inner.RemoteAddress} refused: {why}.")))
            {
                return;
            }

            _timeout.Dispose();
            _helloRepeat?.Dispose();
            _transport.NoteRefusal(_inner.RemoteAddress, !_outbound, why);
            _inner.Disassociate("aio-auth: " + why, _transport._log);
        }
    }

    // Counted always; logged at most once an interval, with a summary of the rest (a port under attack must not
    // flood the log: 4,700 hostile connections once wrote 18,700 lines).
    private void NoteRefusal(Address remote, bool inbound, string why)
    {
        Interlocked.Increment(ref _refusals);
        if (_refusalLog.Admit(why))
        {
            _log.Warning("Refused {0} association with {1}: {2}. Nothing it sent was read.", inbound ? "an inbound" : "an outbound", remote, why);
        }
    }

    /// <summary>
    /// The proven association as Akka's protocol layer sees it: the wrapped one, under its own listener. A message
    /// larger than one frame of the wrapped transport is written as <see cref="Fragments"/>, all of them under one
    /// lock, so that another writer's frame (Akka's heartbeats come from another actor) cannot land inside it.
    /// </summary>
    private sealed class AuthenticatedHandle(AssociationHandle inner, long frameBytes) : AssociationHandle(inner.LocalAddress, inner.RemoteAddress)
    {
        private readonly Lock _writing = new();

        public override bool Write(ByteString payload)
        {
            lock (_writing)
            {
                if (payload.Length <= frameBytes)
                {
                    return inner.Write(payload);
                }

                foreach (var fragment in Fragments.Split(payload.Span, (int)Math.Min(frameBytes, int.MaxValue)))
                {
                    if (!inner.Write(fragment))
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        [Obsolete("Akka's own: use the overload that states a reason.")]
        public override void Disassociate() => inner.Disassociate();
    }
}
