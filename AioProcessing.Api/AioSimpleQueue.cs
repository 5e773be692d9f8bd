using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// An unbounded FIFO queue with only the essentials, as Python's <c>multiprocessing.SimpleQueue</c>: Put, Get,
/// IsEmpty and Close. It moves items as <see cref="AioQueue{T}"/> does (written-behind puts, prefetched gets).
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class AioSimpleQueue<T> : AioPrimitive, IAioFacade<AioSimpleQueue<T>>
{
    private readonly QueueChannel _channel;
    private volatile bool _closed;

    /// <summary>Creates a new, empty simple queue in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    public AioSimpleQueue(AioContext? context = null)
        : base(context, PrimitiveHost.Kind.SimpleQueue)
    {
        _channel = Context.Ledger.QueueChannelOf(Actor);
        _channel.Writer.KnowMaxSize(0);
    }

    /// <summary>Finds the simple queue called <paramref name="name"/> in the coordinator, creating it empty if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it (and ignore the other arguments).</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    public AioSimpleQueue(string name, AioContext? context = null)
        : base(context, PrimitiveHost.Kind.SimpleQueue, name: name, shape: TypeShape.Of(typeof(T)))
    {
        _channel = Context.Ledger.QueueChannelOf(Actor);
        _channel.Writer.KnowMaxSize(0);
    }

    private AioSimpleQueue(AioContext context, IActorRef actor)
        : base(context, actor)
    {
        _channel = Context.Ledger.QueueChannelOf(Actor);
        _channel.Writer.KnowMaxSize(0);
    }

    /// <summary>Whether the queue holds no item now (Python's <c>empty()</c>).</summary>
    public bool IsEmpty => Blocking.Wait(() => IsEmptyAsync());

    /// <inheritdoc cref="IsEmpty"/>
    public async Task<bool> IsEmptyAsync(CancellationToken ct = default) => (await _channel.CountAsync(ct).ConfigureAwait(false)).Count == 0;

    /// <summary>Puts <paramref name="item"/> (written behind: see <see cref="AioQueue{T}"/>).</summary>
    /// <exception cref="ArgumentException">The item cannot be sent to another process.</exception>
    /// <exception cref="InvalidOperationException">This facade was closed.</exception>
    public void Put(T item) => Blocking.Wait(() => PutAsync(item));

    /// <inheritdoc cref="Put"/>
    public async Task PutAsync(T item, CancellationToken ct = default)
    {
        if (_closed)
        {
            throw new InvalidOperationException("This queue was closed in this process (Close was called).");
        }

        await _channel.Writer.PutAsync([Context.Payloads.Serialize(item, "The queue item", nameof(item))], WaitProtocol.Infinite, ct).ConfigureAwait(false);
    }

    /// <summary>Takes the oldest item, waiting without limit for one (cancellable).</summary>
    /// <param name="ct">Withdraws the get and throws <see cref="OperationCanceledException"/>; no item is swallowed.</param>
    public T Get(CancellationToken ct = default) => Blocking.Wait(() => GetAsync(ct));

    /// <inheritdoc cref="Get"/>
    public async Task<T> GetAsync(CancellationToken ct = default)
    {
        var (outcome, item) = await _channel.Reader.TakeOneAsync(WaitProtocol.Infinite, ct).ConfigureAwait(false);
        return outcome == WaitProtocol.Outcome.Granted
            ? Context.Payloads.Deserialize<T>(item!)
            : throw new QueueCompletedException();
    }

    /// <summary>Waits until the coordinator holds every item this process put.</summary>
    public Task FlushAsync(CancellationToken ct = default) => _channel.Writer.FlushAsync(ct);

    /// <summary>This process puts no more items through this facade (Python's <c>close()</c>); later puts throw.</summary>
    public void Close() => _closed = true;

    static AioSimpleQueue<T> IAioFacade<AioSimpleQueue<T>>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}
