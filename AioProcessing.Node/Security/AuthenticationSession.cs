using System.Security.Cryptography;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace AioProcessing.Node.Security;

/// <summary>
/// One association under the <see cref="AuthenticatingTransport"/>: its handshake (the frames, the proofs, the repeated
/// Hello and the timeout), then its pass-through to Akka's layer, where fragments go up once their message is complete.
/// </summary>
internal sealed class AuthenticationSession : IHandleEventListener
{
    /// <summary>How long a peer has to prove the secret before it is refused and disconnected.</summary>
    internal static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the connecting side waits for the listener's nonce before it says Hello again. Over TLS, under load,
    /// a first Hello once went unanswered until <see cref="HandshakeTimeout"/> (and the worker never joined). Where it
    /// stuck is not known; DotNetty's TLS handler queues writes made before its own handshake completes, and a later
    /// write pushes out whatever is queued.
    /// </summary>
    internal static readonly TimeSpan HelloRepeat = TimeSpan.FromMilliseconds(500);

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

    /// <summary>Starts the handshake on <paramref name="inner"/>, which the session reads from now on.</summary>
    /// <param name="transport">The adapter, which holds the secret and notes refusals.</param>
    /// <param name="inner">The wrapped transport's association.</param>
    /// <param name="outbound">True on the connecting side, which speaks first.</param>
    public AuthenticationSession(AuthenticatingTransport transport, AssociationHandle inner, bool outbound)
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

    /// <summary>The proven association for Akka's layer; faulted with <see cref="InvalidAssociationException"/> when refused.</summary>
    public Task<AssociationHandle> Completed => _completed.Task;

    /// <summary>Handshake frames until the peer proved the secret; after that, what goes up to Akka's layer.</summary>
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
                _handle = new AuthenticatedHandle(_inner, _transport.FrameBytes);
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

        _reassembly ??= new Fragments.Reassembly(_transport.MaximumPayloadBytes);
        if (!_reassembly.Add(payload.Span, out var message, out var error))
        {
            _transport.Log.Warning("Disassociating {0}: {1}.", _inner.RemoteAddress, error);
            _inner.Disassociate("aio-auth: " + error, _transport.Log);
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
        return HMACSHA256.HashData(_transport.Secret, data);
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
        _inner.Disassociate("aio-auth: " + why, _transport.Log);
    }
}
