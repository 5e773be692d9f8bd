using System.Diagnostics;
using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// The take side of a <see cref="QueueChannel"/>. In a process other than the coordinator's, a take fetches up to
/// <c>aio.queue.prefetch</c> items at once. The coordinator lends them until this process reports them taken
/// (piggybacked on the next fetch, or after 2 ms); untaken ones are given back after <c>aio.queue.prefetch-hold</c>
/// without a Get, and go back by themselves if this process dies. Anything else this process sends first reports the
/// takes not reported yet, and waits for reports other threads are sending (<see cref="ReportTakesNow"/>), so that
/// what it lets another process see comes after them.
/// </summary>
/// <remarks>
/// A lent batch may be taken from only for <c>aio.queue.prefetch-hold</c> after it arrived: then what is left goes
/// back with the next fetch. That bounds what a consumer cut off from its coordinator (whose takes can no longer be
/// reported, so the coordinator lends those items again once it declares the consumer dead) can take after the cut:
/// without it, it would go on taking its whole prefetch.
/// </remarks>
internal sealed class QueueReader
{
    private static readonly TimeSpan ReportDelay = TimeSpan.FromMilliseconds(2);

    private readonly AioContext _context;
    private readonly IActorRef _actor;
    private readonly bool _prefetch;
    private readonly Lock _gate = new();

    private readonly Queue<byte[]> _lent = new();

    // One fetch at a time: the coordinator counts what it lends in the order it answers, and reports and returns
    // must not pass a fetch in flight.
    private readonly SemaphoreSlim _fetch = new(1, 1);

    // Held by every path that reports takes on a message of its own, from counting them out of _takenUnreported
    // until that message is posted, so that a report cannot be overtaken by what another thread sends after it.
    // A fetch, whose request carries its takes, publishes them in _carrying instead (see FetchAsync).
    private readonly Lock _reporting = new();
    private readonly Timer _reportTimer;

    // >0 while this thread sends a fetch that carries takes: it does not wait for other fetches (ReportTakesNow).
    [ThreadStatic]
    private static int t_sendingFetch;

    // Fetches of this reader that counted takes and have not sent them yet.
    private int _carrying;
    private int _takenUnreported;
    private long _lastTake;
    private long _lentArrived;
    private bool _timerArmed;
    private long _timerDueAt;

    public QueueReader(AioContext context, IActorRef actor)
    {
        _context = context;
        _actor = actor;
        // In the coordinator's own process a take is a local message: prefetching would only add a hop.
        _prefetch = !actor.Path.Address.HasLocalScope && context.Settings.QueuePrefetch > 1;
        _reportTimer = new Timer(static state => ((QueueReader)state!).OnReportTimer(), this, Timeout.Infinite, Timeout.Infinite);
    }

    private bool HasLent
    {
        get
        {
            lock (_gate)
            {
                return _lent.Count > 0 && !LentIsStale;
            }
        }
    }

    // Caller holds _gate.
    private bool LentIsStale => Environment.TickCount64 - _lentArrived > (long)_context.Settings.QueuePrefetchHold.TotalMilliseconds;

    /// <summary>Takes one item: Granted with it, or TimedOut / Closed without.</summary>
    public async Task<(WaitProtocol.Outcome Outcome, byte[]? Item)> TakeOneAsync(long timeoutMs, CancellationToken ct)
    {
        var (outcome, items) = await TakeAsync(1, timeoutMs, ct).ConfigureAwait(false);
        return (outcome, items.Length > 0 ? items[0] : null);
    }

    /// <summary>Takes between 1 and <paramref name="max"/> items, waiting at most <paramref name="timeoutMs"/> for the first.</summary>
    public async Task<(WaitProtocol.Outcome Outcome, byte[][] Items)> TakeAsync(int max, long timeoutMs, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_prefetch)
        {
            // Items may have been fetched ahead by a poll.
            if (TryTakeLent(max, out var polled, evenStale: true))
            {
                return (WaitProtocol.Outcome.Granted, polled);
            }

            var reply = await _context.Link.AskAsync<QueueActor.Taken>(_actor, new QueueActor.Take(CoordinatorLink.NextId(), max, timeoutMs, Prefetch: false, Consumed: 0), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
            return Answer(reply, ct);
        }

        var deadline = Deadline.AfterMs(timeoutMs);
        while (true)
        {
            if (TryTakeLent(max, out var taken))
            {
                return (WaitProtocol.Outcome.Granted, taken);
            }

            if (!await Blocking.EnterHere(_fetch, deadline.RemainingOrInfinite, ct).ConfigureAwait(false))
            {
                return (WaitProtocol.Outcome.TimedOut, []);
            }

            try
            {
                if (TryTakeLent(max, out taken))
                {
                    return (WaitProtocol.Outcome.Granted, taken);
                }

                var reply = await FetchAsync(Math.Max(max, _context.Settings.QueuePrefetch), deadline.RemainingMs, ct).ConfigureAwait(false);
                if (reply.Outcome != WaitProtocol.Outcome.Granted)
                {
                    return Answer(reply, ct);
                }
            }
            finally
            {
                _fetch.Release();
            }
        }
    }

    /// <summary>
    /// Whether a take would not wait: an item is here or arrives within <paramref name="timeoutMs"/>, or the queue is
    /// completed and empty. What arrives is fetched ahead (lent, as with prefetch) for the next take.
    /// </summary>
    public async Task<bool> PollAsync(long timeoutMs, CancellationToken ct)
    {
        if (HasLent)
        {
            return true;
        }

        if (!await Blocking.EnterHere(_fetch, Deadline.AfterMs(timeoutMs).RemainingOrInfinite, ct).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            if (HasLent)
            {
                return true;
            }

            var reply = await FetchAsync(_context.Settings.QueuePrefetch, timeoutMs, ct).ConfigureAwait(false);
            switch (reply.Outcome)
            {
                case WaitProtocol.Outcome.Granted:
                    lock (_gate)
                    {
                        // Nothing was taken yet: the hold counts from the poll, and what is not taken goes back after it.
                        _lastTake = Environment.TickCount64;
                        ArmReportTimer(_context.Settings.QueuePrefetchHold);
                    }

                    return true;
                case WaitProtocol.Outcome.Closed:
                    return true;
                case WaitProtocol.Outcome.TimedOut:
                    return false;
                default:
                    throw new OperationCanceledException(ct);
            }
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>Reports what this process took and gives back what it was lent and never took (before the process or context ends).</summary>
    public void GiveBack()
    {
        if (!_fetch.Wait(0))
        {
            return;
        }

        try
        {
            SendReturn();
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>
    /// Reports, now, the takes of this process not reported yet, and waits for any another thread has counted and
    /// not sent yet: called before this process sends anything else to the coordinator, so that whoever sees what
    /// that message lets happen (an event set after the gets) sees the queue without the items taken. A report may
    /// pass a fetch in flight: the coordinator settles reported takes against the oldest items it lent, in order.
    /// </summary>
    public void ReportTakesNow()
    {
        if (Volatile.Read(ref _takenUnreported) > 0)
        {
            lock (_reporting)
            {
                var taken = TakeUnreported();
                PostConsumed(taken);
                Reported(taken);
            }
        }

        // A fetch that carries takes sends them within its own synchronous start. Not waited for by a thread that is
        // sending a fetch itself: two such could wait for each other, and a fetch lets nothing happen elsewhere.
        if (t_sendingFetch == 0)
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _carrying) > 0)
            {
                spinner.SpinOnce();
            }
        }
    }

    private static (WaitProtocol.Outcome, byte[][]) Answer(QueueActor.Taken reply, CancellationToken ct) => reply.Outcome switch
    {
        WaitProtocol.Outcome.Granted or WaitProtocol.Outcome.TimedOut or WaitProtocol.Outcome.Closed => (reply.Outcome, reply.Items),
        _ => throw new OperationCanceledException(ct),
    };

    // Caller holds _fetch. What is left of a batch that arrived too long ago goes back first; the takes not reported
    // yet ride on the fetch; what it brings is lent here.
    private async Task<QueueActor.Taken> FetchAsync(int count, long timeoutMs, CancellationToken ct)
    {
        ReturnStaleLent();
        int consumed;
        lock (_gate)
        {
            consumed = TakeUnreported();
            if (consumed > 0)
            {
                Interlocked.Increment(ref _carrying);
            }
        }

        // The request leaves before AskAsync first yields: from then on what follows it on the link is behind it.
        Task<QueueActor.Taken> asking;
        t_sendingFetch++;
        try
        {
            var fetch = new QueueActor.Take(CoordinatorLink.NextId(), count, timeoutMs, Prefetch: true, consumed);
            asking = _context.Link.AskAsync<QueueActor.Taken>(_actor, fetch, timeoutMs, cancellable: true, ct);
        }
        finally
        {
            t_sendingFetch--;
            if (consumed > 0)
            {
                Reported(consumed);
                Interlocked.Decrement(ref _carrying);
            }
        }

        var reply = await asking.ConfigureAwait(false);
        if (reply.Outcome == WaitProtocol.Outcome.Granted)
        {
            lock (_gate)
            {
                foreach (var item in reply.Items)
                {
                    _lent.Enqueue(item);
                }

                _lentArrived = Environment.TickCount64;
            }
        }

        return reply;
    }

    // Without evenStale, a batch that arrived too long ago is not taken from (see the type): the next fetch returns it.
    private bool TryTakeLent(int max, out byte[][] taken, bool evenStale = false)
    {
        lock (_gate)
        {
            if (_lent.Count == 0 || (!evenStale && LentIsStale))
            {
                taken = [];
                return false;
            }

            taken = new byte[Math.Min(max, _lent.Count)][];
            for (var i = 0; i < taken.Length; i++)
            {
                taken[i] = _lent.Dequeue();
            }

            _takenUnreported += taken.Length;
            _context.Ledger.CountUnreportedTakes(taken.Length);
            _lastTake = Environment.TickCount64;
            ArmReportTimer(ReportDelay);
            AssertInvariants();
            return true;
        }
    }

    // Caller holds _gate. An earlier due time wins: a take must be reported within ReportDelay even while the
    // timer waits out the (much longer) hold.
    private void ArmReportTimer(TimeSpan due)
    {
        var at = Environment.TickCount64 + (long)due.TotalMilliseconds;
        if (!_timerArmed || at < _timerDueAt)
        {
            _timerArmed = true;
            _timerDueAt = at;
            _reportTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnReportTimer()
    {
        var hold = _context.Settings.QueuePrefetchHold;
        lock (_gate)
        {
            _timerArmed = false;
        }

        // Only between fetches: a fetch in flight would be answered with items the coordinator counts as lent after these.
        if (!_fetch.Wait(0))
        {
            lock (_gate)
            {
                ArmReportTimer(ReportDelay);
            }

            return;
        }

        try
        {
            bool idle;
            lock (_gate)
            {
                idle = _lent.Count > 0 && Environment.TickCount64 - _lastTake >= (long)hold.TotalMilliseconds;
            }

            if (idle)
            {
                SendReturn();
                return;
            }

            lock (_reporting)
            {
                int taken;
                lock (_gate)
                {
                    taken = TakeUnreported();
                    if (_lent.Count > 0)
                    {
                        ArmReportTimer(hold);
                    }
                }

                PostConsumed(taken);
                Reported(taken);
            }
        }
        finally
        {
            _fetch.Release();
        }
    }

    // The takes to report (whoever calls this sends them, then calls Reported): zeroed here. The ledger's count
    // (ProcessLedger) keeps them until they are sent, so that another thread's next call still waits for them.
    private int TakeUnreported()
    {
        lock (_gate)
        {
            var taken = _takenUnreported;
            _takenUnreported = 0;
            return taken;
        }
    }

    private void Reported(int taken)
    {
        if (taken > 0)
        {
            _context.Ledger.CountUnreportedTakes(-taken);
        }
    }

    private void PostConsumed(int taken)
    {
        if (taken > 0 && !_context.IsDisposedOrLost)
        {
            _context.Link.Post(_actor, new QueueActor.Consumed(taken));
        }
    }

    // Caller holds _fetch: what is left of a batch that arrived too long ago goes back before the next fetch.
    private void ReturnStaleLent()
    {
        bool stale;
        lock (_gate)
        {
            stale = _lent.Count > 0 && LentIsStale;
        }

        if (stale)
        {
            SendReturn();
        }
    }

    // Caller holds _fetch.
    private void SendReturn()
    {
        lock (_reporting)
        {
            int taken;
            byte[][] untaken;
            lock (_gate)
            {
                taken = TakeUnreported();
                untaken = [.. _lent];
                _lent.Clear();
            }

            if ((taken > 0 || untaken.Length > 0) && !_context.IsDisposedOrLost)
            {
                _context.Link.Post(_actor, new QueueActor.Return(taken, untaken));
            }

            Reported(taken);
        }
    }

    // Caller holds _gate.
    [Conditional("DEBUG")]
    private void AssertInvariants() => Debug.Assert(_takenUnreported >= 0, "More takes reported than taken.");
}
