using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// How a facade talks to its actor: an Ask whose deadline the actor itself enforces (the message carries the
/// timeout), a <see cref="WaitProtocol.Cancel"/> when the caller's token fires, and a safety margin after which an
/// unanswered request means the coordinator is gone rather than a wait without end.
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
    /// Sends <paramref name="request"/> and awaits its single answer. When <paramref name="cancelId"/> is given and
    /// <paramref name="ct"/> fires, the actor is told to withdraw the waiter; its answer (granted or cancelled) is
    /// still awaited so that nothing it granted is lost.
    /// </summary>
    public static async Task<TReply> AskAsync<TReply>(AioContext context, IActorRef actor, IAioMessage request, long timeoutMs, long? cancelId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        context.ThrowIfDisposed();
        var grace = context.Settings.AskGrace;
        TimeSpan? askTimeout = timeoutMs < 0 ? null : TimeSpan.FromMilliseconds(timeoutMs) + grace;
        var reply = actor.Ask<object>(request, askTimeout, CancellationToken.None);
        var registration = cancelId is { } id && ct.CanBeCanceled
            ? ct.UnsafeRegister(static state => ((CancelTarget)state!).Send(), new CancelTarget(actor, id))
            : default;
        object answer;
        try
        {
            answer = await reply.ConfigureAwait(false);
        }
        catch (AskTimeoutException ex)
        {
            throw new CoordinatorLostException($"No answer from {actor.Path} within {askTimeout}: the coordinator is unreachable.", ex);
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }

        return answer switch
        {
            TReply typed => typed,
            WaitProtocol.Failed failed => throw ToException(failed),
            _ => throw new InvalidOperationException($"Unexpected answer {answer.GetType().Name} from {actor.Path} to {request.GetType().Name}."),
        };
    }

    /// <summary>Asks a request that cannot block; <paramref name="ct"/> only stops it from being sent.</summary>
    public static Task<TReply> AskAsync<TReply>(AioContext context, IActorRef actor, IAioMessage request, CancellationToken ct) =>
        AskAsync<TReply>(context, actor, request, 0, null, ct);

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
        _ => new InvalidOperationException(failed.Message),
    };

    private sealed record CancelTarget(IActorRef Actor, long RequestId)
    {
        public void Send() => Actor.Tell(new WaitProtocol.Cancel(RequestId));
    }
}
