namespace AioProcessing.Node.Hosting;

/// <summary>
/// Rate-limits a kind of log line that strangers can cause at will (refused connections, broken frames): the first
/// one of an interval is logged as it is, the rest only counted, and when the interval ends one line sums them up by
/// reason. No timer runs while nothing is being counted. The summary is written from a timer: a sink that is gone
/// by then (a disposed logger factory) loses the line, never the process.
/// </summary>
internal sealed class LogThrottle : IDisposable
{
    private readonly TimeSpan _interval;
    private readonly Action<string> _summary;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _suppressed = new(StringComparer.Ordinal);
    private readonly Timer _timer;
    private long _windowEnds;
    private bool _armed;

    /// <param name="interval">How long one interval lasts.</param>
    /// <param name="summary">Writes the summary line.</param>
    public LogThrottle(TimeSpan interval, Action<string> summary)
    {
        _interval = interval;
        _summary = summary;
        _timer = new Timer(_ => Flush());
    }

    /// <summary>The interval a node's configuration sets (<c>aio.log.refusal-summary-interval</c>).</summary>
    public static TimeSpan IntervalOf(Akka.Configuration.Config config) =>
        config.GetTimeSpan("aio.log.refusal-summary-interval", TimeSpan.FromSeconds(10), allowInfinite: false);

    /// <summary>True when a line of <paramref name="reason"/> should be logged now; otherwise it is counted.</summary>
    public bool Admit(string reason)
    {
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (now >= _windowEnds && !_armed)
            {
                _windowEnds = now + (long)_interval.TotalMilliseconds;
                return true;
            }

            _suppressed[reason] = _suppressed.GetValueOrDefault(reason) + 1;
            if (!_armed)
            {
                _armed = true;
                _timer.Change(TimeSpan.FromMilliseconds(Math.Max(1, _windowEnds - now)), Timeout.InfiniteTimeSpan);
            }

            return false;
        }
    }

    private void Flush()
    {
        string line;
        lock (_gate)
        {
            _armed = false;
            _windowEnds = Environment.TickCount64 + (long)_interval.TotalMilliseconds;
            if (_suppressed.Count == 0)
            {
                return;
            }

            line = $"{_suppressed.Values.Sum():N0} more like it in the last {_interval.TotalSeconds:0.#} s, not logged one by one: "
                + string.Join("; ", _suppressed.OrderByDescending(p => p.Value).Select(p => $"{p.Value:N0} × {p.Key}"));
            _suppressed.Clear();
        }

        try
        {
            _summary(line);
        }
#pragma warning disable CA1031 // On a timer thread an exception would end the process; a summary nobody can write is dropped.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Stops the timer: counts not summed up yet are dropped.</summary>
    public void Dispose() => _timer.Dispose();
}
