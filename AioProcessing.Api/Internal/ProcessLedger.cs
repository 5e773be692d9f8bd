using System.Collections.Concurrent;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// What this process has outstanding with its coordinator, through one <see cref="AioContext"/>: the grants it holds
/// (so that their release needs no round trip), the holds of its reentrant locks, and its end of every queue it used
/// with the puts not sent and the takes not reported yet. Kept apart from the context, whose concern is the
/// coordinator's lifecycle and this process's membership: the ledger is the bookkeeping the facades and
/// <see cref="CoordinatorLink"/> consult on every call, and which the context only settles when it ends.
/// </summary>
internal sealed class ProcessLedger(AioContext context)
{
    private readonly ConcurrentDictionary<IActorRef, int> _grants = new();
    private readonly ConcurrentDictionary<ActorPath, RLockOwnership> _rlocks = new();
    private readonly ConcurrentDictionary<ActorPath, QueueChannel> _queues = new();
    private long _unsentPuts;
    private long _unreportedTakes;

    /// <summary>This process's end of the queue actor <paramref name="actor"/>, shared by all its facades here.</summary>
    public QueueChannel QueueChannelOf(IActorRef actor) => _queues.GetOrAdd(actor.Path, static (_, state) => new QueueChannel(state.Context, state.Actor), (Context: context, Actor: actor));

    /// <summary>Counts puts that wait in a <see cref="QueueWriter"/> behind the batch in flight (negative: sent).</summary>
    public void CountUnsentPuts(int delta) => Interlocked.Add(ref _unsentPuts, delta);

    /// <summary>Counts takes that a <see cref="QueueReader"/> has not reported to the coordinator yet (negative: reported).</summary>
    public void CountUnreportedTakes(int delta) => Interlocked.Add(ref _unreportedTakes, delta);

    /// <summary>
    /// Sends, now, every put of this process that still waits behind a batch in flight, and reports every take not
    /// reported yet. Called before anything else goes to the coordinator (a request, a release): what that message
    /// lets happen, such as another process taking the lock or seeing the event, then comes after the items put and
    /// the items taken, as it would with Python's queues in one process.
    /// </summary>
    public void SendPendingQueueTraffic()
    {
        var puts = Interlocked.Read(ref _unsentPuts) != 0;
        var takes = Interlocked.Read(ref _unreportedTakes) != 0;
        if (!puts && !takes)
        {
            return;
        }

        foreach (var channel in _queues.Values)
        {
            if (puts)
            {
                channel.Writer.SendUnsent();
            }

            if (takes)
            {
                channel.Reader.ReportTakesNow();
            }
        }
    }

    /// <summary>
    /// Delivers what this process put and gives back what it fetched and did not take, for every queue it used:
    /// before a worker's target reports its end, and when a context is disposed.
    /// </summary>
    public async Task SettleQueuesAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        foreach (var channel in _queues.Values)
        {
            try
            {
                await channel.Writer.FlushAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or CoordinatorLostException)
            {
                // Reported to the putter by its own later calls; ending the process must go on.
            }

            channel.Reader.GiveBack();
        }

        // A worker's exit report goes on Akka.Remote: what went ahead on the lane must reach its actors first.
        await context.Link.DrainAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>The holds of the reentrant lock <paramref name="actor"/> in this process, shared by all its facades.</summary>
    public RLockOwnership OwnershipOf(IActorRef actor) => _rlocks.GetOrAdd(actor.Path, static _ => new RLockOwnership());

    /// <summary>Notes that this process was granted <paramref name="actor"/>'s lock (or a permit of it).</summary>
    public void NoteGrant(IActorRef actor) => _grants.AddOrUpdate(actor, 1, static (_, n) => n + 1);

    /// <summary>
    /// Takes back one grant this process noted for <paramref name="actor"/>; false when it holds none. A release
    /// of something this process holds cannot fail, so it needs no answer (and no round trip).
    /// </summary>
    public bool TryTakeGrant(IActorRef actor)
    {
        while (_grants.TryGetValue(actor, out var held) && held > 0)
        {
            if (_grants.TryUpdate(actor, held - 1, held))
            {
                return true;
            }
        }

        return false;
    }
}
