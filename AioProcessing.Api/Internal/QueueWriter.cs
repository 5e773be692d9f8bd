using System.Diagnostics;
using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// The put side of a <see cref="QueueChannel"/>. Puts to an unbounded queue are written behind: a put is sent at once
/// when nothing is in flight, and otherwise joins the next batch, sent when the coordinator confirms the one in
/// flight. A put returns without waiting (unless <c>aio.queue.put-window</c> items are unconfirmed);
/// <see cref="FlushAsync"/> waits for confirmation. Anything else this process sends to the coordinator first sends
/// what is still waiting here (<see cref="SendUnsent"/>, through <see cref="ProcessLedger.SendPendingQueueTraffic"/>),
/// so that a lock released or an event set after a put cannot overtake it. A bounded queue's puts wait for room, one
/// request each, as Python's.
/// </summary>
internal sealed class QueueWriter
{
    /// <summary>The most bytes of items one coalesced put carries (one item may exceed it alone).</summary>
    private const long BatchBytes = QueueActor.BatchBytes;

    private readonly AioContext _context;
    private readonly IActorRef _actor;
    private readonly QueueChannel _channel;
    private readonly Lock _gate = new();

    private readonly List<byte[]> _outgoing = [];
    private int? _maxSize;
    private int _batchesInFlight;
    private long _unconfirmed;
    private Exception? _putError;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public QueueWriter(AioContext context, IActorRef actor, QueueChannel channel)
    {
        _context = context;
        _actor = actor;
        _channel = channel;
    }

    /// <summary>Remembers the bound when this process created the queue, sparing the query.</summary>
    public void KnowMaxSize(int maxSize) => _maxSize = maxSize;

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
            return await PutBoundedAsync(items, maxSize, timeoutMs, ct).ConfigureAwait(false);
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

            AssertInvariants();
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

            AssertInvariants();
        }

        foreach (var batch in sent ?? [])
        {
            Watch(batch);
        }
    }

    /// <summary>Waits until the coordinator confirmed every put made through this writer so far.</summary>
    public Task FlushAsync(CancellationToken ct) => WaitUnconfirmedAtMostAsync(0, ct);

    // The queue's bound (0: unbounded), asked once. A blocking caller learns it on its own thread, so that its put is
    // sent from there (see Blocking).
    private async ValueTask<int> MaxSizeAsync(CancellationToken ct)
    {
        if (_maxSize is { } known)
        {
            return known;
        }

        var reply = await Blocking.AwaitHere(_channel.CountAsync(ct)).ConfigureAwait(false);
        _maxSize = reply.MaxSize;
        return reply.MaxSize;
    }

    // Room is per item: never ask for more than the bound at once.
    private async Task<bool> PutBoundedAsync(byte[][] items, int maxSize, long timeoutMs, CancellationToken ct)
    {
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

    // Caller holds _gate.
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
        return batch;
    }

    // Under the gate, so that batches leave in the order their items were put, whichever thread sends them. The
    // ledger counts the batch as unsent until it has been posted: a thread about to send something else sees the
    // count, asks this writer to send what it holds, and so waits at the gate for this post. Counted off before the
    // post, a batch sent by the thread that delivered the previous batch's answer was once overtaken by the target's
    // event set (the other side saw 44 of 5000 items).
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
        finally
        {
            _context.Ledger.CountUnsentPuts(-batch.Length);
        }
    }

    // Outside the gate: an answer already there runs OnBatchAnswered at once, on this thread.
    private void Watch(SentBatch sent) =>
        sent.Answer.ContinueWith(static (t, state) => ((BatchState)state!).Writer.OnBatchAnswered(t, ((BatchState)state!).Count), new BatchState(this, sent.Count), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

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

            AssertInvariants();
            progress = _progress;
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
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

                progress = _progress.Task;
            }

            await Blocking.AwaitHere(progress, ct).ConfigureAwait(false);
        }
    }

    // Caller holds _gate. A new exception each time: every caller gets its own stack trace, with the first as its cause.
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

    // Caller holds _gate. Unconfirmed counts what waits here and what is in flight; something waits here only behind a
    // batch in flight, or after a failure stopped the sending.
    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_batchesInFlight >= 0, "More batches answered than sent.");
        Debug.Assert(_unconfirmed >= _outgoing.Count, "Items waiting to be sent are not counted as unconfirmed.");
        Debug.Assert(_outgoing.Count == 0 || _batchesInFlight > 0 || _putError is not null, "Items wait with nothing in flight to send them after.");
    }

    private sealed record BatchState(QueueWriter Writer, int Count);

    private sealed record SentBatch(Task<IAioReply> Answer, int Count);
}
