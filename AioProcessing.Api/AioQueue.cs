using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A FIFO queue shared by every process of a coordinator, as Python's <c>multiprocessing.Queue</c> /
/// <c>aioprocessing.AioQueue</c>. Items are encoded when put (so a value that cannot be sent is refused at
/// <see cref="Put"/>) and decoded when got.
/// </summary>
/// <typeparam name="T">The item type; <c>int?</c> lets <c>null</c> serve as a sentinel, as <c>None</c> does in Python.</typeparam>
public sealed class AioQueue<T> : AioPrimitive, IAioFacade<AioQueue<T>>
{
    private volatile bool _closed;

    /// <summary>Creates a new, empty queue in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    /// <param name="maxsize">The most items it holds; 0 or less is unbounded. Putters wait while it is full.</param>
    /// <param name="context">The coordinator to create it in.</param>
    public AioQueue(int maxsize = 0, AioContext? context = null)
        : base(context, PrimitiveHost.Kind.Queue, maxsize)
    {
    }

    private AioQueue(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>The number of items in the queue now (Python's <c>qsize()</c>).</summary>
    public int Count => Blocking.Wait(() => CountAsync());

    /// <summary>Whether the queue holds no item now.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Whether a bounded queue is at its limit now.</summary>
    public bool IsFull
    {
        get
        {
            var reply = Blocking.Wait(() => Requests.AskAsync<QueueActor.CountReply>(Context, Actor, new QueueActor.CountQuery(Requests.NextId()), CancellationToken.None));
            return reply.MaxSize > 0 && reply.Count >= reply.MaxSize;
        }
    }

    /// <summary>The number of items in the queue now.</summary>
    public async Task<int> CountAsync(CancellationToken ct = default) =>
        (await Requests.AskAsync<QueueActor.CountReply>(Context, Actor, new QueueActor.CountQuery(Requests.NextId()), ct).ConfigureAwait(false)).Count;

    /// <summary>Puts <paramref name="item"/>, waiting for room in a bounded queue.</summary>
    /// <param name="item">The item; it must be serializable (see the exception).</param>
    /// <param name="block">False: put only if there is room now.</param>
    /// <param name="timeout">How long to wait for room; null waits without limit.</param>
    /// <param name="ct">Withdraws the put at the coordinator and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="QueueFullException">No room within the timeout (or at once, when not blocking).</exception>
    /// <exception cref="ArgumentException">The item cannot be sent to another process, or is too large (<see cref="PayloadTooLargeException"/>).</exception>
    /// <exception cref="InvalidOperationException">This facade was closed with <see cref="Close"/>.</exception>
    public void Put(T item, bool block = true, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => PutCoreAsync(item, block ? timeout : TimeSpan.Zero, ct));

    /// <inheritdoc cref="Put"/>
    public Task PutAsync(T item, TimeSpan? timeout = null, CancellationToken ct = default) => PutCoreAsync(item, timeout, ct);

    /// <summary>Takes the oldest item, waiting for one to arrive.</summary>
    /// <param name="block">False: take an item only if one is there now.</param>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Withdraws the get at the coordinator and throws <see cref="OperationCanceledException"/>; a cancelled get never swallows an item.</param>
    /// <exception cref="QueueEmptyException">No item within the timeout (or at once, when not blocking).</exception>
    public T Get(bool block = true, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => GetCoreAsync(block ? timeout : TimeSpan.Zero, ct));

    /// <inheritdoc cref="Get"/>
    public Task<T> GetAsync(TimeSpan? timeout = null, CancellationToken ct = default) => GetCoreAsync(timeout, ct);

    /// <summary>
    /// Declares that this process puts no more items through this facade, as Python's <c>Queue.close()</c>:
    /// later puts through it throw. Other facades of the same queue, and gets, are not affected.
    /// </summary>
    public void Close() => _closed = true;

    static AioQueue<T> IAioFacade<AioQueue<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private async Task PutCoreAsync(T item, TimeSpan? timeout, CancellationToken ct)
    {
        if (_closed)
        {
            throw new InvalidOperationException("This queue was closed for putting in this process (Close was called).");
        }

        var timeoutMs = Requests.TimeoutMs(timeout);
        var bytes = Context.Payloads.Serialize(item, "The queue item", nameof(item));
        var result = await Requests.AskAsync<WaitProtocol.Result>(Context, Actor, new QueueActor.Put(Requests.NextId(), bytes, timeoutMs), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
        if (!Requests.Granted(result.Outcome, ct))
        {
            throw new QueueFullException(timeoutMs == 0 ? "The queue is full." : $"The queue stayed full for {timeout}.");
        }
    }

    private async Task<T> GetCoreAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        var reply = await Requests.AskAsync<QueueActor.GetReply>(Context, Actor, new QueueActor.Get(Requests.NextId(), timeoutMs), timeoutMs, cancellable: true, ct).ConfigureAwait(false);
        if (!Requests.Granted(reply.Outcome, ct))
        {
            throw new QueueEmptyException(timeoutMs == 0 ? "The queue is empty." : $"No item arrived within {timeout}.");
        }

        return Context.Payloads.Deserialize<T>(reply.Item!);
    }
}
