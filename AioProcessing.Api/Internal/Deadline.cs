using System.Diagnostics;
using AioProcessing.Actors.Primitives;

namespace AioProcessing.Internal;

/// <summary>
/// When a wait that may take several steps (a local wait, then a request, then another) must end: every step asks
/// what is left instead of doing its own arithmetic. Made once from the caller's timeout, on a monotonic clock.
/// </summary>
internal readonly struct Deadline
{
    private readonly long _at;

    private Deadline(long at) => _at = at;

    /// <summary>A deadline that never comes.</summary>
    public static Deadline Never => new(long.MaxValue);

    /// <summary>No limit at all.</summary>
    public bool IsInfinite => _at == long.MaxValue;

    /// <summary>Passed: nothing is left.</summary>
    public bool HasPassed => !IsInfinite && Stopwatch.GetTimestamp() >= _at;

    /// <summary>What is left, never negative; null when there is no limit.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            if (IsInfinite)
            {
                return null;
            }

            var now = Stopwatch.GetTimestamp();
            return now >= _at ? TimeSpan.Zero : Stopwatch.GetElapsedTime(now, _at);
        }
    }

    /// <summary>What is left as a timeout for .NET's waits: <see cref="Timeout.InfiniteTimeSpan"/> when there is no limit.</summary>
    public TimeSpan RemainingOrInfinite => Remaining ?? Timeout.InfiniteTimeSpan;

    /// <summary>What is left in the protocol's milliseconds (rounded up): <see cref="WaitProtocol.Infinite"/> when there is no limit.</summary>
    public long RemainingMs => Remaining is { } left ? (long)Math.Ceiling(left.TotalMilliseconds) : WaitProtocol.Infinite;

    /// <summary>The deadline <paramref name="timeout"/> from now: null or infinite is none; negative is refused.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (and not infinite).</exception>
    public static Deadline After(TimeSpan? timeout, string paramName = "timeout") => AfterMs(Requests.TimeoutMs(timeout, paramName));

    /// <summary>The deadline <paramref name="timeoutMs"/> protocol milliseconds from now (negative: none).</summary>
    public static Deadline AfterMs(long timeoutMs) =>
        timeoutMs < 0 ? Never : new(Stopwatch.GetTimestamp() + (long)(timeoutMs * (Stopwatch.Frequency / 1000.0)));
}
