using AioProcessing.Actors;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A reentrant lock shared by every process of a coordinator, as Python's <c>multiprocessing.RLock</c>: its owner
/// may acquire it again, must release it as many times, and only its owner may release it. The owner is the thread
/// in sync code and the async flow in async code. A lock held by a worker process is released when that process dies.
/// </summary>
/// <remarks>
/// <para>
/// Across processes this is a lock at the coordinator (owner-only release); within a process, nested holds are
/// counted here and cost no message. Ownership rides on an <see cref="AsyncLocal{T}"/>, so a task started by the
/// owner while it holds the lock belongs to the owner's flow (as with Visual Studio's <c>AsyncReaderWriterLock</c>).
/// Two such tasks never hold it at once: a nested acquire enters only from the innermost hold's own flow, so
/// sibling tasks take turns; and a hold taken in sync code is owned by its thread alone, so a thread started
/// inside it waits, as in Python.
/// </para>
/// </remarks>
public sealed class AioRLock : AioAcquirable, IAioFacade<AioRLock>
{
    /// <summary>Creates a new, unheld reentrant lock in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    public AioRLock(AioContext? context = null)
        : base(context, PrimitiveHost.Kind.RLock)
    {
        Ownership = Context.Ledger.OwnershipOf(Actor);
    }

    /// <summary>Finds the reentrant lock called <paramref name="name"/> in the coordinator, creating it unheld if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, or belongs to a primitive of another kind.</exception>
    public AioRLock(string name, AioContext? context = null)
        : base(context, PrimitiveHost.Kind.RLock, name: name)
    {
        Ownership = Context.Ledger.OwnershipOf(Actor);
    }

    private AioRLock(AioContext context, IActorRef actor)
        : base(context, actor)
    {
        Ownership = Context.Ledger.OwnershipOf(Actor);
    }

    /// <summary>Who holds this lock in this process (shared by every facade on the same actor).</summary>
    internal RLockOwnership Ownership { get; }

    static AioRLock IAioFacade<AioRLock>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    /// <summary>A facade on an existing reentrant lock actor (a condition's lock, received from another process).</summary>
    internal static AioRLock Bind(AioContext context, IActorRef actor) => new(context, actor);

    private protected override IAioRequest AcquireRequest(long requestId, long timeoutMs) => new LockActor.Acquire(requestId, timeoutMs);

    private protected override IAioRequest ReleaseRequest(long requestId) => new LockActor.Release(requestId);

    /// <summary>Acquires for a condition over this lock: the grant's fencing token, or 0.</summary>
    internal Task<long> AcquireForConditionAsync(TimeSpan? timeout, CancellationToken ct) => AcquireCoreAsync(timeout, ct);

    private protected override Task<long> AcquireCoreAsync(TimeSpan? timeout, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _ = Requests.TimeoutMs(timeout);
        // Noted before the first await, so that the caller's flow carries it from here on.
        var frame = Ownership.Begin();
        return Ownership.TryEnter(frame) == RLockOwnership.Entry.Entered ? Task.FromResult(Ownership.FencingToken) : AcquireSlowAsync(frame, timeout, ct);
    }

    private protected override Task ReleaseCoreAsync()
    {
        if (Ownership.Exit())
        {
            TellRelease();
        }

        return Task.CompletedTask;
    }

    // Either another flow of this process holds the lock (wait for it here) or none does (ask the coordinator).
    private async Task<long> AcquireSlowAsync(RLockOwnership.Frame frame, TimeSpan? timeout, CancellationToken ct)
    {
        var deadline = Deadline.After(timeout);
        while (true)
        {
            switch (Ownership.TryEnter(frame, out var changed))
            {
                case RLockOwnership.Entry.Entered:
                    return Ownership.FencingToken;
                case RLockOwnership.Entry.AtCoordinator:
                    var token = await AskAcquireAsync(deadline.Remaining, ct).ConfigureAwait(false);
                    if (token == NotGranted)
                    {
                        return NotGranted;
                    }

                    Ownership.EnterGranted(frame, token);
                    return token;
                default:
                    if (deadline.HasPassed)
                    {
                        return NotGranted;
                    }

                    try
                    {
                        await changed.WaitAsync(deadline.RemainingOrInfinite, ct).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        return NotGranted;
                    }

                    break;
            }
        }
    }
}

/// <summary>
/// The holds of one <see cref="AioRLock"/> in this process. Each acquire notes a <see cref="Frame"/> in the caller's
/// async flow (child of the caller's previous frame); the holds form a stack, innermost on top. A caller may add a
/// nested hold only when the top frame is on its own chain (and, for a hold taken in sync code, on its own thread);
/// a caller whose chain holds the lock further down waits here for the top to come back to it; any other caller asks
/// the coordinator. The lock is released at the coordinator when the last hold is released.
/// </summary>
internal sealed class RLockOwnership
{
    private readonly AsyncLocal<Frame?> _current = new();
    private readonly Stack<Frame> _held = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new();

    /// <summary>What an acquire must do.</summary>
    public enum Entry
    {
        /// <summary>Held now (nested hold, counted here).</summary>
        Entered,

        /// <summary>This caller's flow holds the lock further down: wait for the holds above to be released.</summary>
        WaitHere,

        /// <summary>No hold of this caller's flow: acquire at the coordinator.</summary>
        AtCoordinator,
    }

    /// <summary>Starts an acquire: a new frame in the caller's flow, on its thread when the caller is sync code.</summary>
    public Frame Begin()
    {
        var frame = new Frame(_current.Value, Blocking.InSyncCall ? Environment.CurrentManagedThreadId : null);
        _current.Value = frame;
        return frame;
    }

    public Entry TryEnter(Frame frame) => TryEnter(frame, out _);

    /// <summary>Enters a nested hold if <paramref name="frame"/> may; otherwise says where to wait (<paramref name="changed"/> completes when the holds change).</summary>
    public Entry TryEnter(Frame frame, out Task changed)
    {
        lock (_gate)
        {
            changed = _changed.Task;
            if (!_held.TryPeek(out var top))
            {
                return Entry.AtCoordinator;
            }

            for (var link = frame.Parent; link is not null; link = link.Parent)
            {
                if (link == top && (top.Thread is null || top.Thread == Environment.CurrentManagedThreadId))
                {
                    Push(frame);
                    return Entry.Entered;
                }

                if (link.Held)
                {
                    return Entry.WaitHere;
                }
            }

            return Entry.AtCoordinator;
        }
    }

    /// <summary>The fencing token of the grant this process holds the lock under (shared by every nested hold).</summary>
    public long FencingToken { get; private set; }

    /// <summary>The coordinator granted the lock to <paramref name="frame"/> with <paramref name="fencingToken"/>: it is the first hold.</summary>
    public void EnterGranted(Frame frame, long fencingToken)
    {
        lock (_gate)
        {
            FencingToken = fencingToken;
            Push(frame);
        }
    }

    /// <summary>Releases the caller's innermost hold; true when it was the last, so the coordinator must be told.</summary>
    /// <exception cref="SynchronizationLockException">The caller holds nothing, or a nested hold (taken by a task it started) is still held.</exception>
    public bool Exit()
    {
        TaskCompletionSource changed;
        bool last;
        lock (_gate)
        {
            var frame = InnermostHeld();
            changed = Pop(frame, "release");
            last = _held.Count == 0;
        }

        changed.TrySetResult();
        return last;
    }

    /// <summary>Takes every hold away while a condition waits (the coordinator releases the lock); <see cref="Restore"/> puts them back.</summary>
    /// <exception cref="SynchronizationLockException">The caller does not hold the lock, or holds it below a nested hold of another flow.</exception>
    public Frame[] Suspend()
    {
        TaskCompletionSource changed;
        Frame[] saved;
        lock (_gate)
        {
            var frame = InnermostHeld();
            Check(frame, "wait on");
            saved = [.. _held];
            _held.Clear();
            foreach (var held in saved)
            {
                held.Held = false;
            }

            changed = Swap();
        }

        changed.TrySetResult();
        return saved;
    }

    /// <summary>The coordinator gave the lock back to a condition waiter: its holds return as they were.</summary>
    public void Restore(Frame[] saved)
    {
        lock (_gate)
        {
            for (var i = saved.Length - 1; i >= 0; i--)
            {
                Push(saved[i]);
            }
        }
    }

    private Frame? InnermostHeld()
    {
        for (var link = _current.Value; link is not null; link = link.Parent)
        {
            if (link.Held)
            {
                return link;
            }
        }

        return null;
    }

    private void Check(Frame? frame, string what)
    {
        if (frame is null || (frame.Thread is { } thread && thread != Environment.CurrentManagedThreadId))
        {
            throw new SynchronizationLockException($"cannot {what} un-acquired lock: this AioRLock is not held by the calling {(frame is null ? "thread or async flow" : "thread")}.");
        }

        if (!_held.TryPeek(out var top) || top != frame)
        {
            throw new SynchronizationLockException($"cannot {what} this AioRLock here: a task started inside the caller's hold still holds it.");
        }
    }

    private TaskCompletionSource Pop(Frame? frame, string what)
    {
        Check(frame, what);
        _held.Pop().Held = false;
        return Swap();
    }

    private void Push(Frame frame)
    {
        frame.Held = true;
        _held.Push(frame);
    }

    // Waiters complete inline on the releasing thread: a sync caller blocked on this must not need a pool thread.
    private TaskCompletionSource Swap()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource();
        return changed;
    }

    /// <summary>One acquire by one flow: held while on the stack.</summary>
    internal sealed class Frame(Frame? parent, int? thread)
    {
        public Frame? Parent { get; } = parent;

        /// <summary>The owning thread for a hold taken in sync code; null for an async flow.</summary>
        public int? Thread { get; } = thread;

        public bool Held { get; set; }
    }
}
