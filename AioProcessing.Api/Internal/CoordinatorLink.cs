using System.Collections.Concurrent;
using System.Net.Sockets;
using AioProcessing.Actors;
using AioProcessing.Actors.Client;
using AioProcessing.Actors.Diagnostics;
using AioProcessing.Actors.Primitives;
using AioProcessing.Node.Lane;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// Everything this process sends to its coordinator, and every answer it gets back: request ids, the reply inbox,
/// deadlines, cancellation, flushing what queues still hold before anything else leaves, and the path. A process on
/// the coordinator's host sends over the same-host lane (<see cref="LaneClient"/>); any other, or one with
/// <c>aio.lane.enabled = off</c>, over Akka.Remote; the coordinator's own process tells its local actors. The path is
/// chosen once, when the context starts, so everything this process sends to the coordinator takes one path and
/// arrives in the order sent. Facades know nothing of paths.
/// </summary>
internal sealed class CoordinatorLink : IDisposable
{
    // Request ids only need to be unique per actor; a random start keeps processes sharing an actor apart.
    private static long s_nextId = Random.Shared.NextInt64(long.MaxValue / 2);

    // A caller spins this long for an answer that is about to arrive, so that it goes on on its own thread instead
    // of being woken on another one, which costs more than the answer itself. Bounded: a call that really waits (a
    // held lock) loses at most this much CPU time, and calls to an actor whose answers keep missing the window spin
    // ever more rarely (SpinHistory): a pool's applies, answered when a worker ran them, spun 20 µs each, and
    // 20,000 of them at once spent 0.4 s doing so.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string> RequestNames = new();

    private static readonly long LocalSpinTicks = System.Diagnostics.Stopwatch.Frequency * 20 / 1_000_000;

    // Over the lane an answer takes one round trip of a Unix socket (20-40 µs here): a caller that spins that long is
    // not woken by the lane's reader thread but sees the answer on its own thread, sync and async alike. Only where the
    // actor answers that fast, though: a queue get that waits for a producer, or a lock held elsewhere, would burn
    // the CPU the other processes need to answer it (measured: on 2 cores, spinning on every call made a queue
    // round trip 2-3 times slower).
    private static readonly long LaneSpinTicks = System.Diagnostics.Stopwatch.Frequency * 80 / 1_000_000;

    private readonly AioContext _context;
    private readonly Address _coordinator;
    private LaneClient? _lane;

    // Per actor, how its answers met the spin window lately.
    private readonly ConcurrentDictionary<IActorRef, SpinHistory> _spins = new();

    public CoordinatorLink(AioContext context, ExtendedActorSystem system, Address coordinator)
    {
        _context = context;
        _coordinator = coordinator;
        Inbox = new ReplyInbox(system);
    }

    /// <summary>Where every answer to this process's requests arrives.</summary>
    public ReplyInbox Inbox { get; }

    /// <summary>Which path this process's messages take: <c>lane</c>, <c>akka</c> or <c>local</c>, with the reason when not the lane.</summary>
    public string Path { get; private set; } = "local";

    /// <summary>A new request id.</summary>
    public static long NextId() => Interlocked.Increment(ref s_nextId);

    /// <summary>
    /// Chooses the path, in a process other than the coordinator's: the lane when it opens, Akka.Remote otherwise.
    /// <paramref name="lost"/> hears the lane close unasked (the coordinator ended).
    /// </summary>
    public void Open(string secret, Action<string> lost)
    {
        _lane = LaneClient.TryOpen((ExtendedActorSystem)_context.System, _coordinator, secret, Inbox, lost, out var why);
        Path = _lane is null ? $"akka ({why})" : "lane";
    }

    /// <summary>
    /// Tells <paramref name="actor"/> <paramref name="message"/> (with the inbox as sender unless <paramref name="withInbox"/>
    /// is false), after whatever this process's queues still hold: what the message lets happen, such as another
    /// process taking a lock or seeing an event, then comes after the items put and taken, as with Python's queues.
    /// </summary>
    public void Tell(IActorRef actor, IAioMessage message, bool withInbox = true)
    {
        _context.Ledger.SendPendingQueueTraffic();
        Post(actor, message, withInbox);
    }

    /// <summary>Tells <paramref name="actor"/> <paramref name="message"/> now, ahead of what queues hold: for that queue traffic itself.</summary>
    public void Post(IActorRef actor, IAioMessage message, bool withInbox = true)
    {
        if (_lane is { } lane && actor.Path.Address == _coordinator)
        {
            try
            {
                lane.Tell(actor, message, withInbox);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The lane broke: its reader reports the coordinator lost, which fails every waiting call.
            }

            return;
        }

        actor.Tell(message, withInbox ? Inbox : ActorRefs.NoSender);
    }

    /// <summary>
    /// Registers a call waiting for the answer to <paramref name="requestId"/> until <paramref name="deadline"/>
    /// (<see cref="ReplyInbox.Expect"/>).
    /// </summary>
    public Task<IAioReply> Expect(long requestId, long deadline, bool completeInline) => Inbox.Expect(requestId, deadline, completeInline);

    /// <summary>
    /// Sends <paramref name="request"/> and awaits its answer. The request carries its own timeout, which the actor
    /// enforces (the remote side never sees a caller's deadline). With <paramref name="cancellable"/>, <paramref name="ct"/>
    /// firing sends a <see cref="WaitProtocol.Cancel"/> and the call still waits for the one answer; otherwise
    /// <paramref name="ct"/> only stops it from being sent. A call that gets no answer by its timeout plus
    /// <c>aio.ask.grace</c> means the coordinator is gone.
    /// </summary>
    public async Task<TReply> AskAsync<TReply>(IActorRef actor, IAioRequest request, long timeoutMs, bool cancellable, CancellationToken ct)
        where TReply : IAioReply
    {
        ct.ThrowIfCancellationRequested();
        _context.ThrowIfDisposed();
        var id = request.RequestId;
        // Measured only while someone listens: a histogram with no listener and an activity source with none cost a
        // flag check each.
        var started = Instruments.CallDuration.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        using var activity = Instruments.Source.HasListeners() ? StartActivity(actor, request) : null;
        request = WithTraceContext(request);
        var deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs + (long)_context.Settings.AskGrace.TotalMilliseconds;
        var answer = Inbox.Expect(id, deadline, Blocking.InSyncCall);
        try
        {
            Tell(actor, request);
        }
        catch
        {
            // Refused before it left (a message the lane cannot write): nothing will answer it.
            Inbox.Forget(id);
            throw;
        }

        // A sync caller in the coordinator's process is left out: the actor's thread completes its wait directly.
        var window = _lane is not null ? LaneSpinTicks
            : !Blocking.InSyncCall && actor is IInternalActorRef { IsLocal: true } ? LocalSpinTicks
            : 0;
        if (window > 0)
        {
            var history = _spins.GetOrAdd(actor, static _ => new SpinHistory());
            if (history.ShouldSpin())
            {
                history.Spun(SpinForAnswer(answer, window));
            }
        }

        var registration = cancellable && ct.CanBeCanceled
            ? ct.UnsafeRegister(static state => ((CancelTarget)state!).Send(), new CancelTarget(this, actor, id))
            : default;
        IAioReply reply;
        try
        {
            reply = await answer.ConfigureAwait(false);
        }
        catch (NoReplyException ex) when (_context.LostToken.IsCancellationRequested)
        {
            throw new CoordinatorLostException(ex.Message, ex);
        }
        catch (NoReplyException ex)
        {
            throw new CoordinatorLostException($"No answer from {actor.Path} within {(timeoutMs < 0 ? "" : $"the call's {timeoutMs} ms and ")}aio.ask.grace ({_context.Settings.AskGrace}): the coordinator is unreachable. {ex.Message}", ex);
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
            if (started != 0)
            {
                Instruments.CallDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>(Instruments.RequestTag, RequestName(request)));
            }
        }

        return reply switch
        {
            TReply typed => typed,
            WaitProtocol.Failed failed => throw ToException(failed),
            _ => throw new InvalidOperationException($"Unexpected answer {reply.GetType().Name} from {actor.Path} to {request.GetType().Name}."),
        };
    }

    // "LockActor.Acquire": the request's protocol and message, once per type.
    private static string RequestName(IAioRequest request) =>
        RequestNames.GetOrAdd(request.GetType(), static type => type.DeclaringType is { } protocol ? protocol.Name + "." + type.Name : type.Name);

    // A client span per call, carrying the path it takes (lane, Akka.Remote, local) and the primitive's actor.
    private System.Diagnostics.Activity? StartActivity(IActorRef actor, IAioRequest request)
    {
        var activity = Instruments.Source.StartActivity("aio " + RequestName(request), System.Diagnostics.ActivityKind.Client);
        activity?.SetTag(Instruments.PrimitiveTag, actor.Path.Name);
        activity?.SetTag("aio.link", Path);
        return activity;
    }

    // A pool's submit carries the trace context on to the worker that runs its chunk: the current activity's, which
    // is the client span just started, or the caller's own when this process records none (nothing listens here).
    // Nothing when no activity is current, or when it is not a W3C one (which a traceparent cannot name).
    private static IAioRequest WithTraceContext(IAioRequest request) =>
        request is PoolActor.Submit { TraceParent: null } submit
            && System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C, Id: { } traceParent } current
            ? submit with { TraceParent = traceParent, TraceState = current.TraceStateString }
            : request;

    /// <summary>Asks a request that cannot block.</summary>
    public Task<TReply> AskAsync<TReply>(IActorRef actor, IAioRequest request, CancellationToken ct)
        where TReply : IAioReply => AskAsync<TReply>(actor, request, 0, cancellable: false, ct);

    /// <summary>
    /// Completes once everything this process sent over the lane has reached its actors' mailboxes, so that what
    /// it sends next on another path (a worker's exit report, on Akka.Remote) comes after it. Without a lane,
    /// there is one path and nothing to wait for. A lane that fails to answer within <paramref name="timeout"/>
    /// is ignored here: the coordinator's loss is reported on its own.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        if (_lane is not { } lane)
        {
            return;
        }

        try
        {
            await lane.DrainAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes the lane and the inbox; every call still waiting fails.</summary>
    public void Dispose()
    {
        _lane?.Dispose();
        Inbox.Dispose();
    }

    // True when the answer came while spinning.
    private static bool SpinForAnswer(Task answer, long ticks)
    {
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + ticks;
        while (!answer.IsCompleted && System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(8);
        }

        return answer.IsCompleted;
    }

    private static Exception ToException(WaitProtocol.Failed failed) => failed.Kind switch
    {
        WaitProtocol.FailureKind.NotHeld => new SynchronizationLockException(failed.Message),
        WaitProtocol.FailureKind.Full => new SemaphoreFullException(failed.Message),
        WaitProtocol.FailureKind.Disposed => new ObjectDisposedException(null, failed.Message),
        WaitProtocol.FailureKind.InUse => new IOException(failed.Message),
        WaitProtocol.FailureKind.ShutDown => new QueueShutDownException(failed.Message),
        _ => new InvalidOperationException(failed.Message),
    };

    // Whether calls to one actor spin: always while its answers come within the window; after a miss, the next spin
    // comes after 1, 2, 4, ... up to 1024 calls that did not spin, and a hit starts over. Unsynchronized on purpose:
    // a lost update only moves one spin.
    private sealed class SpinHistory
    {
        private int _backoff;
        private int _skipped;

        public bool ShouldSpin()
        {
            if (_skipped < _backoff)
            {
                _skipped++;
                return false;
            }

            return true;
        }

        public void Spun(bool answered)
        {
            _backoff = answered ? 0 : Math.Clamp(_backoff * 2, 1, 1024);
            _skipped = 0;
        }
    }

    // Sent with no sender: the actor answers the waiting call itself, once.
    private sealed record CancelTarget(CoordinatorLink Link, IActorRef Actor, long RequestId)
    {
        public void Send() => Link.Post(Actor, new WaitProtocol.Cancel(RequestId), withInbox: false);
    }
}
