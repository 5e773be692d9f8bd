using AioProcessing.Actors.Primitives;

namespace AioProcessing.Internal;

/// <summary>The conversions between .NET's waits and the protocol's: timeouts to milliseconds, outcomes to Python's bool.</summary>
internal static class Requests
{
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

    /// <summary>Maps a granted/timed-out/cancelled outcome to Python's bool, throwing on cancellation.</summary>
    public static bool Granted(WaitProtocol.Outcome outcome, CancellationToken ct) => outcome switch
    {
        WaitProtocol.Outcome.Granted => true,
        WaitProtocol.Outcome.TimedOut => false,
        _ => throw new OperationCanceledException(ct),
    };
}
