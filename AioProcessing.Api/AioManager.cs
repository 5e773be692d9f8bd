using System.Collections.Concurrent;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// Scopes a set of shared objects, as Python's <c>SyncManager</c>: containers (<see cref="Dict{TKey, TValue}"/>,
/// <see cref="List{T}"/>, <see cref="Namespace"/>, <see cref="Value{T}"/>, <see cref="Array{T}"/>) and every
/// primitive, each an actor in the coordinator, usable from any process it is passed to. Each single operation is
/// atomic at the coordinator. Disposing the manager disposes the objects it created: any use afterwards, in any
/// process, throws <see cref="ObjectDisposedException"/>, and waits in progress end with it. A named container
/// that another manager created is found, not owned.
/// </summary>
public sealed class AioManager : IDisposable, IAsyncDisposable
{
    private readonly ConcurrentBag<IActorRef> _objects = [];
    private int _disposed;

    /// <summary>Creates a manager in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    public AioManager(AioContext? context = null) => Context = context ?? AioContext.Default;

    /// <summary>The context the manager's objects live in.</summary>
    public AioContext Context { get; }

    /// <summary>A new shared dictionary (found by <paramref name="name"/> if given).</summary>
    public AioDict<TKey, TValue> Dict<TKey, TValue>(string? name = null)
        where TKey : notnull => new(Context, Track(PrimitiveHost.Kind.Dict, name, TypeShape.Of(typeof(AioDict<TKey, TValue>))));

    /// <summary>A new shared list holding <paramref name="items"/> (found by <paramref name="name"/> if given).</summary>
    public AioList<T> List<T>(IEnumerable<T>? items = null, string? name = null)
    {
        var list = new AioList<T>(Context, Track(PrimitiveHost.Kind.List, name, TypeShape.Of(typeof(AioList<T>))));
        if (items is not null)
        {
            list.AddRange(items);
        }

        return list;
    }

    /// <summary>A new shared attribute bag (Python's <c>Namespace</c>): <c>ns.Count = 3</c> with <c>dynamic</c>, or <see cref="AioNamespace.Set{T}"/>.</summary>
    public AioNamespace Namespace(string? name = null) => new(Context, Track(PrimitiveHost.Kind.Dict, name));

    /// <summary>A new shared value starting at <paramref name="initial"/> (Python's <c>Value</c>).</summary>
    public AioValue<T> Value<T>(T initial, string? name = null)
    {
        var value = new AioValue<T>(Context, Track(PrimitiveHost.Kind.Dict, name, TypeShape.Of(typeof(AioValue<T>))));
        if (name is null)
        {
            value.Value = initial;
        }
        else
        {
            value.SetIfAbsent(initial);
        }

        return value;
    }

    /// <summary>A new shared fixed-length array holding <paramref name="items"/> (Python's <c>Array</c>).</summary>
    public AioArray<T> Array<T>(params T[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new AioArray<T>(Context, Track(PrimitiveHost.Kind.List, null), items);
    }

    /// <summary>A new lock owned by this manager.</summary>
    public AioLock Lock() => Own(new AioLock(Context));

    /// <summary>A new reentrant lock owned by this manager.</summary>
    public AioRLock RLock() => Own(new AioRLock(Context));

    /// <summary>A new semaphore owned by this manager.</summary>
    public AioSemaphore Semaphore(int value = 1) => Own(new AioSemaphore(value, Context));

    /// <summary>A new bounded semaphore owned by this manager.</summary>
    public AioBoundedSemaphore BoundedSemaphore(int value = 1) => Own(new AioBoundedSemaphore(value, Context));

    /// <summary>A new event owned by this manager.</summary>
    public AioEvent Event() => Own(new AioEvent(Context));

    /// <summary>A new condition owned by this manager, over <paramref name="lck"/> or a new lock.</summary>
    public AioCondition Condition(AioLock? lck = null) => Own(new AioCondition(lck ?? Lock(), Context));

    /// <summary>A new barrier owned by this manager.</summary>
    public AioBarrier Barrier(int parties, Delegate? action = null, TimeSpan? timeout = null) => Own(new AioBarrier(parties, action, timeout, Context));

    /// <summary>A new queue owned by this manager.</summary>
    public AioQueue<T> Queue<T>(int maxsize = 0) => Own(new AioQueue<T>(maxsize, Context));

    /// <summary>A new joinable queue owned by this manager.</summary>
    public AioJoinableQueue<T> JoinableQueue<T>(int maxsize = 0) => Own(new AioJoinableQueue<T>(maxsize, Context));

    /// <summary>Disposes every object of this manager (Python's <c>shutdown</c>).</summary>
    public void Dispose() => Blocking.Wait(() => DisposeAsync().AsTask());

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || Context.IsDisposedOrLost)
        {
            return;
        }

        await Task.WhenAll(_objects.Select(RetireAsync)).ConfigureAwait(false);
    }

    private async Task RetireAsync(IActorRef actor)
    {
        try
        {
            await Context.Link.AskAsync<WaitProtocol.Ack>(actor, new WaitProtocol.Retire(CoordinatorLink.NextId()), CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Already retired: disposal is idempotent.
        }
    }

    private T Own<T>(T primitive)
        where T : AioPrimitive
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _objects.Add(primitive.Actor);
        return primitive;
    }

    private IActorRef Track(PrimitiveHost.Kind kind, string? name, string? shape = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // A named object found rather than created belongs to whoever created it: it is not disposed with this manager.
        var created = Blocking.Wait(() => Context.Primitives.CreateOrFindAsync(kind, name: name, shape: shape));
        if (created.IsNew)
        {
            _objects.Add(created.Actor);
        }

        return created.Actor;
    }
}
