using AioProcessing.Actors;
using AioProcessing.Actors.Client;
using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// How a facade talks to its actor. The request goes out with the context's <see cref="ReplyInbox"/> as sender and
/// carries its own timeout, which the actor enforces (the remote side never sees a caller's deadline). When the
/// caller's token fires, a <see cref="WaitProtocol.Cancel"/> follows and the call still waits for the one answer.
/// A call that gets no answer by its timeout plus <c>aio.ask.grace</c> means the coordinator is gone.
/// </summary>
internal static class Requests
{
    // Request ids only need to be unique per actor; a random start keeps processes sharing an actor apart.
    private static long s_nextId = Random.Shared.NextInt64(long.MaxValue / 2);

    public static long NextId() => Interlocked.Increment(ref s_nextId);

    /// <summary>Converts a .NET timeout to the protocol's milliseconds: null or infinite is -1, zero does not wait.</summary>
    public static long TimeoutMs(TimeSpan? timeout, string paramName = "timeout")
    {
        if (timeout is not { } value || value == Timeout.InfiniteTimeSpan)
        {
            return WaitProtocol.Infinite;
        }

        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "A timeout must be zero or positive, or null (or Timeout.InfiniteTimeSpan) for no limit.");
        }

        // Round up so that a sub-millisecond timeout still waits rather than turning into a non-blocking try.
        return (long)Math.Ceiling(value.TotalMilliseconds);
    }

    /// <summary>
    /// Sends <paramref name="request"/> and awaits its answer. With <paramref name="cancellable"/>, <paramref name="ct"/>
    /// firing withdraws the request at the actor; otherwise <paramref name="ct"/> only stops it from being sent.
    /// </summary>
    public static async Task<TReply> AskAsync<TReply>(AioContext context, IActorRef actor, IAioRequest request, long timeoutMs, bool cancellable, CancellationToken ct)
        where TReply : IAioReply
    {
        ct.ThrowIfCancellationRequested();
        context.ThrowIfDisposed();
        var id = request.RequestId;
        var deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs + (long)context.Settings.AskGrace.TotalMilliseconds;
        var answer = context.Inbox.Expect(id, deadline, Blocking.InSyncCall);
        context.SendPendingQueueTraffic();
        actor.Tell(request, context.Inbox);
        if (!Blocking.InSyncCall && actor.Path.Address.HasLocalScope)
        {
            SpinForLocalAnswer(answer);
        }

        var registration = cancellable && ct.CanBeCanceled
            ? ct.UnsafeRegister(static state => ((CancelTarget)state!).Send(), new CancelTarget(actor, id))
            : default;
        IAioReply reply;
        try
        {
            reply = await answer.ConfigureAwait(false);
        }
        catch (NoReplyException ex) when (context.LostToken.IsCancellationRequested)
        {
            throw new CoordinatorLostException(ex.Message, ex);
        }
        catch (NoReplyException ex)
        {
            throw new CoordinatorLostException($"No answer from {actor.Path} within {(timeoutMs < 0 ? "" : $"the call's {timeoutMs} ms and ")}aio.ask.grace ({context.Settings.AskGrace}): the coordinator is unreachable. {ex.Message}", ex);
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }

        return reply switch
        {
            TReply typed => typed,
            WaitProtocol.Failed failed => throw ToException(failed),
            _ => throw new InvalidOperationException($"Unexpected answer {reply.GetType().Name} from {actor.Path} to {request.GetType().Name}."),
        };
    }

    // An actor in this process answers within microseconds; spinning that long lets the caller go on on its own
    // thread instead of being woken on another one, which costs more than the answer itself. Bounded: a wait that
    // is really a wait (a held lock) loses at most this much CPU time.
    private static readonly long LocalSpinTicks = System.Diagnostics.Stopwatch.Frequency * 20 / 1_000_000;

    private static void SpinForLocalAnswer(Task answer)
    {
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + LocalSpinTicks;
        while (!answer.IsCompleted && System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(8);
        }
    }

    /// <summary>Asks a request that cannot block.</summary>
    public static Task<TReply> AskAsync<TReply>(AioContext context, IActorRef actor, IAioRequest request, CancellationToken ct)
        where TReply : IAioReply => AskAsync<TReply>(context, actor, request, 0, cancellable: false, ct);

    /// <summary>Maps a granted/timed-out/cancelled outcome to Python's bool, throwing on cancellation.</summary>
    public static bool Granted(WaitProtocol.Outcome outcome, CancellationToken ct) => outcome switch
    {
        WaitProtocol.Outcome.Granted => true,
        WaitProtocol.Outcome.TimedOut => false,
        _ => throw new OperationCanceledException(ct),
    };

    private static Exception ToException(WaitProtocol.Failed failed) => failed.Kind switch
    {
        WaitProtocol.FailureKind.NotHeld => new SynchronizationLockException(failed.Message),
        WaitProtocol.FailureKind.Full => new SemaphoreFullException(failed.Message),
        WaitProtocol.FailureKind.Disposed => new ObjectDisposedException(null, failed.Message),
        WaitProtocol.FailureKind.InUse => new IOException(failed.Message),
        WaitProtocol.FailureKind.ShutDown => new QueueShutDownException(failed.Message),
        _ => new InvalidOperationException(failed.Message),
    };

    private sealed record CancelTarget(IActorRef Actor, long RequestId)
    {
        public void Send() => Actor.Tell(new WaitProtocol.Cancel(RequestId));
    }
}
