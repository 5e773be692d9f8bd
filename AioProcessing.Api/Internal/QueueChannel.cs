using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// This process's end of one queue actor, shared by every facade on it here (<see cref="ProcessLedger.QueueChannelOf"/>).
/// It keeps the data path off the round trip:
/// <list type="bullet">
/// <item><b>Puts</b> to an unbounded queue are written behind: a put is sent at once when nothing is in flight, and
/// otherwise joins the next batch, sent when the coordinator confirms the one in flight. Put returns without waiting
/// (unless <c>aio.queue.put-window</c> items are unconfirmed); <see cref="FlushAsync"/> waits for confirmation.
/// Anything else this process sends to the coordinator first sends what is still waiting here
/// (<see cref="SendUnsent"/>, through <see cref="ProcessLedger.SendPendingQueueTraffic"/>), so that a lock released or an event
/// set after a put cannot overtake it. A bounded queue's puts wait for room, one request each, as Python's.</item>
/// <item><b>Takes</b> in a process other than the coordinator's fetch up to <c>aio.queue.prefetch</c> items at once.
/// The coordinator lends them until this process reports them taken (piggybacked on the next fetch, or after 2 ms);
/// untaken ones are given back after <c>aio.queue.prefetch-hold</c> without a Get, and go back by themselves if this
/// process dies. Anything else this process sends first reports the takes not reported yet
/// (<see cref="ReportTakesNow"/>), so that what it lets another process see comes after them. A lent batch may be taken from only for <c>aio.queue.prefetch-hold</c> after it arrived: then what is
/// left goes back with the next fetch. That bounds what a consumer cut off from its coordinator (whose takes can no
/// longer be reported, so the coordinator lends those items again once it declares the consumer dead) can take
/// after the cut: without it, it would go on taking its whole prefetch.</item>
/// </list>
/// </summary>
internal sealed class QueueChannel
{
    private static readonly TimeSpan ReportDelay = TimeSpan.FromMilliseconds(2);

    /// <summary>The most bytes of items one coalesced put carries (one item may exceed it alone).</summary>
    private const long BatchBytes = QueueActor.BatchBytes;

    private readonly AioContext _context;
    private readonly IActorRef _actor;
    private readonly bool _prefetch;
    private readonly Lock _gate = new();

    // Put side.
    private readonly List<byte[]> _outgoing = [];
    private int? _maxSize;
    private int _batchesInFlight;
    private long _unconfirmed;
    private Exception? _putError;
    private TaskCompletionSource _putProgress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Take side.
    private readonly Queue<byte[]> _lent = new();
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private readonly Timer _reportTimer;
    private int _takenUnreported;
    private long _lastTake;
    private long _lentArrived;
    private bool _timerArmed;
    private long _timerDueAt;

    public QueueChannel(AioContext context, IActorRef actor)
    {
        _context = context;
        _actor = actor;
        // In the coordinator's own process a take is a local message: prefetching would only add a hop.
        _prefetch = !actor.Path.Address.HasLocalScope && context.Settings.QueuePrefetch > 1;
        _reportTimer = new Timer(static state => ((QueueChannel)state!).OnReportTimer(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Remembers the bound when this process created the queue, sparing the query.</summary>
    public void KnowMaxSize(int maxSize) => _maxSize = maxSize;

    /// <summary>The queue's bound (0: unbounded), asked once.</summary>
    public async ValueTask<int> MaxSizeAsync(CancellationToken ct)
    {
        if (_maxSize is { } known)
        {
            return known;
        }

        // A blocking caller learns it synchronously, so that its put is sent from its own thread (see Blocking).
        var reply = Blocking.InSyncCall ? Blocking.Wait(() => CountAsync(ct)) : await CountAsync(ct).ConfigureAwait(false);
        _maxSize = reply.MaxSize;
        return reply.MaxSize;
    }

    public Task<QueueActor.CountReply> CountAsync(CancellationToken ct) =>
        _context.Link.AskAsync<QueueActor.CountReply>(_actor, new QueueActor.CountQuery(CoordinatorLink.NextId()), ct);

    /// <summary>
    /// Puts <paramref name="items"/> in order. Unbounded: written behind (see the type). Bounded: waits for room at
    /// most <paramref name="timeoutMs"/>, false when it ran out.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The context was disposed: nothing is put.</exception>
    public async Task<bool> PutAsync(byte[][] items, long timeoutMs, CancellationToken ct)
    {
        // Before anything is written behind: a disposed context would otherwise take the items and only fail later,
        // when nothing confirms them.
        _context.ThrowIfDisposed();
        ct.ThrowIfCancellationRequested();
        var maxSize = await MaxSizeAsync(ct).ConfigureAwait(false);
        if (maxSize > 0)
        {
            // Room is per item: never ask for more than the bound at once.
            foreach (var chunk in items.Chunk(maxSize))
            {
                var put = PartsAhead(CoordinatorLink.NextId(), timeoutMs, chunk);
                var result = await _context.Link.AskAsync<WaitProtocol.Result>(_actor, put, timeoutMs, cancellable: true, ct).ConfigureAwait(false);
                if (!Requests.Granted(result.Outcome, ct))
                {
                    return false;
                }
            }

            return true;
        }

        SentBatch? sent = null;
        lock (_gate)
        {
            ThrowIfPutFailed();
            _outgoing.AddRange(items);
            _context.Ledger.CountUnsentPuts(items.Length);
            _unconfirmed += items.Length;
            if (_batchesInFlight == 0)
            {
                sent = SendLocked(TakeOutgoing());
            }
        }

        if (sent is not null)
        {
            Watch(sent);
        }

        await WaitUnconfirmedAtMostAsync(_context.Settings.QueuePutWindow, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Sends every put still waiting behind the batch in flight, now: called before this process sends anything else
    /// to the coordinator. Messages from one process reach the coordinator in the order sent, so whatever the next
    /// message lets happen, these items are in the queue first.
    /// </summary>
    public void SendUnsent()
    {
        List<SentBatch>? sent = null;
        lock (_gate)
        {
            while (_outgoing.Count > 0 && _putError is null)
            {
                (sent ??= []).Add(SendLocked(TakeOutgoing()));
            }
        }

        foreach (var batch in sent ?? [])
        {
            Watch(batch);
        }
    }

    /// <summary>Waits until the coordinator confirmed every put made through this channel so far.</summary>
    public Task FlushAsync(CancellationToken ct) => WaitUnconfirmedAtMostAsync(0, ct);

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

            var remaining = deadline.RemainingMs;
            if (!await EnterFetchAsync(remaining, ct).ConfigureAwait(false))
            {
                return (WaitProtocol.Outcome.TimedOut, []);
            }

            try
            {
                if (TryTakeLent(max, out taken))
                {
                    return (WaitProtocol.Outcome.Granted, taken);
                }

                ReturnStaleLent();
                var consumed = TakeUnreported();

                remaining = deadline.RemainingMs;
                var fetch = new QueueActor.Take(CoordinatorLink.NextId(), Math.Max(max, _context.Settings.QueuePrefetch), remaining, Prefetch: true, consumed);
                var reply = await _context.Link.AskAsync<QueueActor.Taken>(_actor, fetch, remaining, cancellable: true, ct).ConfigureAwait(false);
                if (reply.Outcome != WaitProtocol.Outcome.Granted)
                {
                    return Answer(reply, ct);
                }

                lock (_gate)
                {
                    foreach (var item in reply.Items)
                    {
                        _lent.Enqueue(item);
                    }

                    _lentArrived = Environment.TickCount64;
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

        if (!await EnterFetchAsync(timeoutMs, ct).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            if (HasLent)
            {
                return true;
            }

            ReturnStaleLent();
            var consumed = TakeUnreported();

            var fetch = new QueueActor.Take(CoordinatorLink.NextId(), _context.Settings.QueuePrefetch, timeoutMs, Prefetch: true, consumed);
            var reply = await _context.Link.AskAsync<QueueActor.Taken>(_actor, fetch, timeoutMs, cancellable: true, ct).ConfigureAwait(false);
            switch (reply.Outcome)
            {
                case WaitProtocol.Outcome.Granted:
                    lock (_gate)
                    {
                        foreach (var item in reply.Items)
                        {
                            _lent.Enqueue(item);
                        }

                        _lentArrived = Environment.TickCount64;
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

    private static (WaitProtocol.Outcome, byte[][]) Answer(QueueActor.Taken reply, CancellationToken ct) => reply.Outcome switch
    {
        WaitProtocol.Outcome.Granted or WaitProtocol.Outcome.TimedOut or WaitProtocol.Outcome.Closed => (reply.Outcome, reply.Items),
        _ => throw new OperationCanceledException(ct),
    };


    private async ValueTask<bool> EnterFetchAsync(long timeoutMs, CancellationToken ct)
    {
        var timeout = timeoutMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(timeoutMs);
        // A blocking caller waits here on its own thread: it must not need a pool thread to be woken.
        return Blocking.InSyncCall ? _fetch.Wait(timeout, ct) : await _fetch.WaitAsync(timeout, ct).ConfigureAwait(false);
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

            int taken;
            lock (_gate)
            {
                taken = TakeUnreported();
                if (_lent.Count > 0)
                {
                    ArmReportTimer(hold);
                }
            }

            if (taken > 0 && !_context.IsDisposedOrLost)
            {
                _context.Link.Post(_actor, new QueueActor.Consumed(taken));
            }
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>
    /// Reports, now, the takes of this process not reported yet (unless a fetch, which carries them, is under way):
    /// called before this process sends anything else to the coordinator, so that whoever sees what that message
    /// lets happen (an event set after the gets) sees the queue without the items taken.
    /// </summary>
    public void ReportTakesNow()
    {
        if (Volatile.Read(ref _takenUnreported) == 0 || !_fetch.Wait(0))
        {
            return;
        }

        try
        {
            var taken = TakeUnreported();
            if (taken > 0 && !_context.IsDisposedOrLost)
            {
                _context.Link.Post(_actor, new QueueActor.Consumed(taken));
            }
        }
        finally
        {
            _fetch.Release();
        }
    }

    // The takes to report, now reported (whoever calls this sends them): zeroed here and in the ledger's count (ProcessLedger).
    private int TakeUnreported()
    {
        lock (_gate)
        {
            var taken = _takenUnreported;
            _takenUnreported = 0;
            _context.Ledger.CountUnreportedTakes(-taken);
            return taken;
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
    }

    private byte[][] TakeOutgoing()
    {
        // A batch stays well under the frame size (each item alone is checked against it when encoded).
        var count = 0;
        long bytes = 0;
        while (count < _outgoing.Count && (count == 0 || bytes + _outgoing[count].Length <= BatchBytes))
        {
            bytes += _outgoing[count].Length;
            count++;
        }

        var batch = _outgoing.GetRange(0, count).ToArray();
        _outgoing.RemoveRange(0, count);
        _context.Ledger.CountUnsentPuts(-count);
        return batch;
    }

    // Under the gate, so that batches leave in the order their items were put, whichever thread sends them.
    private SentBatch SendLocked(byte[][] batch)
    {
        _batchesInFlight++;
        var id = CoordinatorLink.NextId();
        try
        {
            // Completed on the delivering thread: the next batch goes out from there, without a pool thread.
            // The queue answers an unbounded put at once; no answer within aio.ask.grace means it is unreachable.
            var answer = _context.Link.Expect(id, Environment.TickCount64 + (long)_context.Settings.AskGrace.TotalMilliseconds, completeInline: true);
            _context.Link.Post(_actor, PartsAhead(id, WaitProtocol.Infinite, batch));
            return new SentBatch(answer, batch.Length);
        }
        catch (Exception ex) when (ex is ObjectDisposedException)
        {
            return new SentBatch(Task.FromException<IAioReply>(ex), batch.Length);
        }
    }

    // Outside the gate: an answer already there runs OnBatchAnswered at once, on this thread.
    private void Watch(SentBatch sent) =>
        sent.Answer.ContinueWith(static (t, state) => ((BatchState)state!).Channel.OnBatchAnswered(t, ((BatchState)state!).Count), new BatchState(this, sent.Count), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // An item too large for one frame travels alone: its parts go ahead, the put carries the last one.
    private QueueActor.Put PartsAhead(long id, long timeoutMs, byte[][] items)
    {
        if (items.Length != 1 || items[0].Length <= QueueActor.BatchBytes || _actor.Path.Address.HasLocalScope)
        {
            return new QueueActor.Put(id, timeoutMs, items);
        }

        var parts = QueueActor.Split(items[0]);
        for (var i = 0; i < parts.Length - 1; i++)
        {
            _context.Link.Post(_actor, new QueueActor.ItemPart(id, parts[i]));
        }

        return new QueueActor.Put(id, timeoutMs, [parts[^1]], Assembled: true);
    }

    private void OnBatchAnswered(Task<IAioReply> answer, int count)
    {
        SentBatch? next = null;
        TaskCompletionSource progress;
        lock (_gate)
        {
            _batchesInFlight--;
            _putError ??= answer.Status switch
            {
                TaskStatus.RanToCompletion when answer.Result is WaitProtocol.Failed { Kind: WaitProtocol.FailureKind.ShutDown } shut => new QueueShutDownException($"The queue refused items put earlier: {shut.Message}."),
                TaskStatus.RanToCompletion when answer.Result is WaitProtocol.Failed failed => new InvalidOperationException($"The queue refused items put earlier: {failed.Message}."),
                TaskStatus.RanToCompletion => null,
                _ => new CoordinatorLostException("Items put earlier were not confirmed: " + answer.Exception?.GetBaseException().Message, answer.Exception?.GetBaseException() ?? new OperationCanceledException()),
            };
            if (_putError is null)
            {
                _unconfirmed -= count;
                if (_batchesInFlight == 0 && _outgoing.Count > 0)
                {
                    next = SendLocked(TakeOutgoing());
                }
            }

            progress = _putProgress;
            _putProgress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        progress.TrySetResult();
        if (next is not null)
        {
            Watch(next);
        }
    }

    private async Task WaitUnconfirmedAtMostAsync(long limit, CancellationToken ct)
    {
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                ThrowIfPutFailed();
                if (_unconfirmed <= limit)
                {
                    return;
                }

                progress = _putProgress.Task;
            }

            if (Blocking.InSyncCall)
            {
                progress.Wait(ct);
            }
            else
            {
                await progress.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private void ThrowIfPutFailed()
    {
        if (_putError is { } error)
        {
            throw error switch
            {
                CoordinatorLostException lost => new CoordinatorLostException(lost.Message, lost),
                QueueShutDownException shut => new QueueShutDownException(shut.Message, shut),
                _ => new InvalidOperationException(error.Message, error),
            };
        }
    }

    private sealed record BatchState(QueueChannel Channel, int Count);

    private sealed record SentBatch(Task<IAioReply> Answer, int Count);
}
