using System.Runtime.CompilerServices;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A FIFO queue shared by every process of a coordinator, as Python's <c>multiprocessing.Queue</c> /
/// <c>aioprocessing.AioQueue</c>. Items are encoded when put (so a value that cannot be sent is refused at
/// <see cref="Put"/>) and decoded when got. Each producer's items arrive in the order it put them.
/// </summary>
/// <remarks>
/// Puts to an unbounded queue are written behind, as Python's feeder thread does: <see cref="Put"/> returns once the
/// item is on its way, and many puts travel in one message. <see cref="Flush"/> waits until the coordinator holds
/// every item this process put. Consumers in other processes fetch items in batches; an item fetched but not taken
/// goes back to the queue if that process dies. docs/primitives.md states exactly what can be lost, and when.
/// </remarks>
/// <typeparam name="T">The item type; <c>int?</c> lets <c>null</c> serve as a sentinel, as <c>None</c> does in Python.</typeparam>
public class AioQueue<T> : AioPrimitive, IAioFacade<AioQueue<T>>
{
    private volatile bool _closed;

    /// <summary>Creates a new, empty queue in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    /// <param name="maxsize">The most items it holds; 0 or less is unbounded. Putters wait while it is full.</param>
    /// <param name="context">The coordinator to create it in.</param>
    public AioQueue(int maxsize = 0, AioContext? context = null)
        : this(maxsize, context, null)
    {
    }

    /// <summary>Finds the queue called <paramref name="name"/> in the coordinator, creating it empty if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it.</param>
    /// <param name="maxsize">The bound, if this call creates it; 0 or less is unbounded.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    public AioQueue(string name, int maxsize = 0, AioContext? context = null)
        : this(maxsize, context, name)
    {
    }

    private protected AioQueue(int maxsize, AioContext? context, string? name, PrimitiveHost.Kind kind = PrimitiveHost.Kind.Queue, bool exclusive = false)
        : base(context, kind, maxsize, name: name, shape: TypeShape.Of(typeof(T)), exclusive: exclusive)
    {
        Channel = Context.Ledger.QueueChannelOf(Actor);
        if (name is null)
        {
            Channel.Writer.KnowMaxSize(Math.Max(0, maxsize));
        }
    }

    private protected AioQueue(AioContext context, IActorRef actor)
        : base(context, actor) =>
        Channel = Context.Ledger.QueueChannelOf(Actor);

    /// <summary>A queue of <paramref name="kind"/> created by <paramref name="name"/>, which must not exist yet (a listener's backlog).</summary>
    /// <exception cref="IOException">The name is in use.</exception>
    internal static AioQueue<T> Exclusive(string name, PrimitiveHost.Kind kind, AioContext? context) => new(0, context, name, kind, exclusive: true);

    /// <summary>The number of items in the queue now (Python's <c>qsize()</c>): those fetched by a consumer and not yet taken count.</summary>
    public int Count => Blocking.Wait(() => CountAsync());

    /// <summary>Whether the queue holds no item now.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Whether a bounded queue is at its limit now.</summary>
    public bool IsFull => Blocking.Wait(async () => await IsFullAsync().ConfigureAwait(false));

    internal QueueChannel Channel { get; }

    /// <summary>Puts must be confirmed before they return (a joinable queue counts them for <c>Join</c>).</summary>
    private protected virtual bool ConfirmPuts => false;

    /// <summary>The number of items in the queue now.</summary>
    public async Task<int> CountAsync(CancellationToken ct = default) => (await Channel.CountAsync(ct).ConfigureAwait(false)).Count;

    /// <summary>Whether the queue holds no item now.</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken ct = default) => await CountAsync(ct).ConfigureAwait(false) == 0;

    /// <summary>Whether a bounded queue is at its limit now.</summary>
    public async Task<bool> IsFullAsync(CancellationToken ct = default)
    {
        var reply = await Channel.CountAsync(ct).ConfigureAwait(false);
        return reply.MaxSize > 0 && reply.Count >= reply.MaxSize;
    }

    /// <summary>Puts <paramref name="item"/>, waiting for room in a bounded queue.</summary>
    /// <param name="item">The item; it must be serializable (see the exception).</param>
    /// <param name="block">False: put only if there is room now.</param>
    /// <param name="timeout">How long to wait for room; null waits without limit.</param>
    /// <param name="ct">Withdraws the put at the coordinator and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="QueueFullException">No room within the timeout (or at once, when not blocking).</exception>
    /// <exception cref="ArgumentException">The item cannot be sent to another process, or is too large (<see cref="PayloadTooLargeException"/>).</exception>
    /// <exception cref="InvalidOperationException">This facade was closed with <see cref="Close"/>, or the queue was completed.</exception>
    public void Put(T item, bool block = true, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => PutCoreAsync([Encode(item)], block ? timeout : TimeSpan.Zero, ct));

    /// <inheritdoc cref="Put"/>
    public Task PutAsync(T item, TimeSpan? timeout = null, CancellationToken ct = default) => PutCoreAsync([Encode(item)], timeout, ct);

    /// <summary>Puts <paramref name="item"/> if there is room now; false otherwise.</summary>
    /// <inheritdoc cref="Put" path="/exception[@cref='ArgumentException']"/>
    public bool TryPut(T item)
    {
        try
        {
            Put(item, block: false);
            return true;
        }
        catch (QueueFullException)
        {
            return false;
        }
    }

    /// <summary>Puts <paramref name="item"/> without waiting (Python's <c>put_nowait</c>).</summary>
    /// <exception cref="QueueFullException">A bounded queue is full.</exception>
    public void PutNowait(T item) => Put(item, block: false);

    /// <summary>Puts every item of <paramref name="items"/>, in order, in as few messages as possible (beyond Python).</summary>
    /// <exception cref="ArgumentException">An item cannot be sent; then none is put.</exception>
    public Task PutManyAsync(IEnumerable<T> items, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return PutCoreAsync([.. items.Select(Encode)], null, ct);
    }

    /// <summary>Takes the oldest item, waiting for one to arrive.</summary>
    /// <param name="block">False: take an item only if one is there now.</param>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Withdraws the get at the coordinator and throws <see cref="OperationCanceledException"/>; a cancelled get never swallows an item.</param>
    /// <exception cref="QueueEmptyException">No item within the timeout (or at once, when not blocking).</exception>
    /// <exception cref="QueueCompletedException">The queue was completed and is empty.</exception>
    public T Get(bool block = true, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => GetCoreAsync(block ? timeout : TimeSpan.Zero, ct));

    /// <inheritdoc cref="Get"/>
    public Task<T> GetAsync(TimeSpan? timeout = null, CancellationToken ct = default) => GetCoreAsync(timeout, ct);

    /// <summary>Takes an item if one is there now; false otherwise (also when the queue is completed and empty).</summary>
    public bool TryGet(out T item)
    {
        var (outcome, bytes) = Blocking.Wait(() => Channel.Reader.TakeOneAsync(0, CancellationToken.None));
        item = outcome == WaitProtocol.Outcome.Granted ? Decode(bytes!) : default!;
        return outcome == WaitProtocol.Outcome.Granted;
    }

    /// <summary>Takes an item without waiting (Python's <c>get_nowait</c>).</summary>
    /// <exception cref="QueueEmptyException">No item is there now.</exception>
    public T GetNowait() => Get(block: false);

    /// <summary>Takes between 1 and <paramref name="max"/> items, waiting at most <paramref name="timeout"/> for the first (beyond Python).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="max"/> is less than 1.</exception>
    /// <exception cref="QueueEmptyException">No item within the timeout.</exception>
    /// <exception cref="QueueCompletedException">The queue was completed and is empty.</exception>
    public async Task<IReadOnlyList<T>> GetManyAsync(int max, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var timeoutMs = Requests.TimeoutMs(timeout);
        var (outcome, items) = await Channel.Reader.TakeAsync(max, timeoutMs, ct).ConfigureAwait(false);
        ThrowUnlessGranted(outcome, timeout);
        return [.. items.Select(Decode)];
    }

    /// <summary>Yields items as they arrive until the queue is completed and empty (beyond Python: no sentinel needed).</summary>
    /// <param name="ct">Ends the enumeration with <see cref="OperationCanceledException"/>; no item is swallowed.</param>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        while (true)
        {
            var (outcome, items) = await Channel.Reader.TakeAsync(Context.Settings.QueuePrefetch, WaitProtocol.Infinite, ct).ConfigureAwait(false);
            if (outcome == WaitProtocol.Outcome.Closed)
            {
                yield break;
            }

            foreach (var item in items)
            {
                yield return Decode(item);
            }
        }
    }

    /// <summary>
    /// Ends the queue for every process (beyond Python): no more puts are accepted, and consumers get what is left,
    /// then <see cref="ReadAllAsync"/> ends and <see cref="Get"/> throws <see cref="QueueCompletedException"/>.
    /// This process's earlier puts are delivered first.
    /// </summary>
    public void Complete() => Blocking.Wait(() => CompleteAsync());

    /// <inheritdoc cref="Complete"/>
    public async Task CompleteAsync(CancellationToken ct = default)
    {
        await Channel.Writer.FlushAsync(ct).ConfigureAwait(false);
        await Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new QueueActor.Complete(CoordinatorLink.NextId()), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Shuts the queue down for every process (Python 3.13's <c>shutdown(immediate)</c>): later puts throw
    /// <see cref="QueueShutDownException"/>. Not immediate: consumers get what is left, then
    /// <see cref="QueueCompletedException"/> (a <see cref="QueueShutDownException"/>), as <see cref="Complete"/>.
    /// Immediate: the items left are dropped, waiting gets end at once, and each dropped item counts as a task done,
    /// so a joinable queue's <c>Join</c> does not wait for them. This process's earlier puts are delivered first.
    /// </summary>
    /// <param name="immediate">Whether to drop the items left.</param>
    public void Shutdown(bool immediate = false) => Blocking.Wait(() => ShutdownAsync(immediate));

    /// <inheritdoc cref="Shutdown"/>
    /// <param name="immediate">Whether to drop the items left.</param>
    /// <param name="ct">Stops waiting for the coordinator's answer.</param>
    public async Task ShutdownAsync(bool immediate = false, CancellationToken ct = default)
    {
        await Channel.Writer.FlushAsync(ct).ConfigureAwait(false);
        await Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new QueueActor.Complete(CoordinatorLink.NextId(), immediate), ct).ConfigureAwait(false);
    }

    /// <summary>Waits until the coordinator holds every item this process put (see the remarks on write-behind).</summary>
    /// <exception cref="InvalidOperationException">The queue refused items put earlier (it was completed).</exception>
    public void Flush() => Blocking.Wait(() => FlushAsync());

    /// <inheritdoc cref="Flush"/>
    public Task FlushAsync(CancellationToken ct = default) => Channel.Writer.FlushAsync(ct);

    /// <summary>
    /// Declares that this process puts no more items through this facade, as Python's <c>Queue.close()</c>:
    /// later puts through it throw. Other facades of the same queue, and gets, are not affected.
    /// </summary>
    public void Close() => _closed = true;

    static AioQueue<T> IAioFacade<AioQueue<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    /// <summary>
    /// Decodes one item of a <c>QueueActor.Taken</c> answer, for actor code that takes items with the queue's
    /// message protocol (see <see cref="AioPrimitive.Actor"/>).
    /// </summary>
    /// <param name="bytes">One element of <c>Taken.Items</c>.</param>
    /// <returns>The item.</returns>
    public T DecodeItem(byte[] bytes) => Decode(bytes);

    /// <summary>Encodes an item for a <c>QueueActor.Put</c> told by actor code (see <see cref="AioPrimitive.Actor"/>).</summary>
    /// <param name="item">The item.</param>
    /// <returns>Its encoding, at most <c>aio.payload.max-bytes</c>.</returns>
    /// <exception cref="PayloadTooLargeException">The item is larger than <c>aio.payload.max-bytes</c>.</exception>
    public byte[] EncodeItem(T item) => Encode(item);

    private protected T Decode(byte[] bytes) => Context.Payloads.Deserialize<T>(bytes);

    private protected byte[] Encode(T item) => Context.Payloads.Serialize(item, "The queue item", nameof(item));

    private static void ThrowUnlessGranted(WaitProtocol.Outcome outcome, TimeSpan? timeout)
    {
        switch (outcome)
        {
            case WaitProtocol.Outcome.Granted:
                return;
            case WaitProtocol.Outcome.Closed:
                throw new QueueCompletedException();
            default:
                throw new QueueEmptyException(timeout == TimeSpan.Zero ? "The queue is empty." : $"No item arrived within {timeout}.");
        }
    }

    private async Task PutCoreAsync(byte[][] items, TimeSpan? timeout, CancellationToken ct)
    {
        if (_closed)
        {
            throw new InvalidOperationException("This queue was closed for putting in this process (Close was called).");
        }

        var timeoutMs = Requests.TimeoutMs(timeout);
        if (!await Channel.Writer.PutAsync(items, timeoutMs, ct).ConfigureAwait(false))
        {
            throw new QueueFullException(timeoutMs == 0 ? "The queue is full." : $"The queue stayed full for {timeout}.");
        }

        if (ConfirmPuts)
        {
            await Channel.Writer.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task<T> GetCoreAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var (outcome, item) = await Channel.Reader.TakeOneAsync(Requests.TimeoutMs(timeout), ct).ConfigureAwait(false);
        ThrowUnlessGranted(outcome, timeout);
        return Decode(item!);
    }
}

/// <summary>
/// A queue whose consumers mark each item done, as Python's <c>multiprocessing.JoinableQueue</c>: every item put
/// counts as an unfinished task until a <see cref="TaskDone"/>, and <see cref="Join"/> waits until none is left.
/// A put returns once the coordinator has counted it, so a <see cref="Join"/> anywhere afterwards waits for it.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class AioJoinableQueue<T> : AioQueue<T>, IAioFacade<AioJoinableQueue<T>>
{
    /// <summary>Creates a new, empty joinable queue in the coordinator of <paramref name="context"/>.</summary>
    /// <param name="maxsize">The most items it holds; 0 or less is unbounded.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    public AioJoinableQueue(int maxsize = 0, AioContext? context = null)
        : base(maxsize, context, null, PrimitiveHost.Kind.JoinableQueue)
    {
    }

    /// <summary>Finds the joinable queue called <paramref name="name"/>, creating it empty if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by.</param>
    /// <param name="maxsize">The bound, if this call creates it.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    public AioJoinableQueue(string name, int maxsize = 0, AioContext? context = null)
        : base(maxsize, context, name, PrimitiveHost.Kind.JoinableQueue)
    {
    }

    private AioJoinableQueue(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    private protected override bool ConfirmPuts => true;

    /// <summary>Marks one item's task done (Python's <c>task_done()</c>).</summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    public void TaskDone() => Blocking.Wait(() => TaskDoneAsync());

    /// <inheritdoc cref="TaskDone"/>
    public Task TaskDoneAsync(CancellationToken ct = default) =>
        Context.Link.AskAsync<WaitProtocol.Ack>(Actor, new QueueActor.TaskDone(CoordinatorLink.NextId(), 1), ct);

    /// <summary>Waits until every item put has been marked done; false when <paramref name="timeout"/> elapsed first.</summary>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Withdraws the wait and throws <see cref="OperationCanceledException"/>.</param>
    public bool Join(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => JoinAsync(timeout, ct));

    /// <inheritdoc cref="Join"/>
    public async Task<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        var result = await Context.Link.AskAsync<WaitProtocol.Result>(Actor, new QueueActor.JoinTasks(CoordinatorLink.NextId(), timeoutMs), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
        return Requests.Granted(result.Outcome, ct);
    }

    static AioJoinableQueue<T> IAioFacade<AioJoinableQueue<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}
