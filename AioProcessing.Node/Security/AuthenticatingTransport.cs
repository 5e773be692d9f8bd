using System.Collections.Concurrent;
using AioProcessing.Node.Hosting;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;

namespace AioProcessing.Node.Security;

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
/// is answered (see <see cref="AuthenticationSession.HelloRepeat"/>); the listener answers a repeat again. A peer that sends anything else, a wrong answer, or nothing within <see cref="AuthenticationSession.HandshakeTimeout"/> is
/// logged and disconnected. Addresses and schemes are those of the wrapped transport. Each association's handshake
/// runs in its own <see cref="AuthenticationSession"/>.
/// </summary>
internal sealed class AuthenticatingTransport : Transport
{
    /// <summary>
    /// What the wrapped transport adds to a payload within its frame limit: the decoder counts the 4-byte length
    /// prefix in the frame size, so a payload of exactly the frame size would be refused (and the connection cut).
    /// Kept with room to spare.
    /// </summary>
    private const int FrameOverhead = 64;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorSystem, AuthenticatingTransport> Instances = [];
    private readonly Transport _wrapped;
    private readonly LogThrottle _refusalLog;
    private readonly int _maxUnproven;
    private readonly long _maxMessageBytes;
    private int _unproven;

    public AuthenticatingTransport(Transport wrapped, ExtendedActorSystem system, byte[] secret)
    {
        _wrapped = wrapped;
        Secret = secret;
        System = system;
        Config = wrapped.Config;
        SchemeIdentifier = wrapped.SchemeIdentifier;
        Log = Logging.GetLogger(system, "aio-auth");
        var config = system.Settings.Config;
        _maxUnproven = config.GetInt("aio.security.max-unauthenticated-connections", 64);
        _maxMessageBytes = Math.Max(wrapped.MaximumPayloadBytes, config.GetByteSize("aio.security.max-message-bytes", null) ?? 268435456L);
        _refusalLog = new LogThrottle(LogThrottle.IntervalOf(config), line => Log.Warning("{0}", line));
        Instances.AddOrUpdate(system, this);
    }

    /// <summary>The coordinator's secret, which each session proves and checks.</summary>
    internal byte[] Secret { get; }

    /// <summary>The <c>aio-auth</c> logger.</summary>
    internal ILoggingAdapter Log { get; }

    /// <summary>The largest payload written as one frame of the wrapped transport; larger ones travel as <see cref="Fragments"/>.</summary>
    internal long FrameBytes => _wrapped.MaximumPayloadBytes - FrameOverhead;

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
        var session = new AuthenticationSession(this, handle, outbound: true);
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
                inbound.Association.Disassociate("aio-auth: too many unauthenticated connections", transport.Log);
                return;
            }

            var session = new AuthenticationSession(transport, inbound.Association, outbound: false);
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

    /// <summary>
    /// A refused association: counted always; logged at most once an interval, with a summary of the rest (a port
    /// under attack must not flood the log: 4,700 hostile connections once wrote 18,700 lines).
    /// </summary>
    internal void NoteRefusal(Address remote, bool inbound, string why)
    {
        Interlocked.Increment(ref _refusals);
        if (_refusalLog.Admit(why))
        {
            Log.Warning("Refused {0} association with {1}: {2}. Nothing it sent was read.", inbound ? "an inbound" : "an outbound", remote, why);
        }
    }
}
