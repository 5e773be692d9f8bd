using System.Collections.Concurrent;
using Akka.Actor;

namespace AioProcessing.Actors.Client;

/// <summary>
/// The one address every answer to this process's requests comes back to. It is a minimal actor reference under a
/// temporary path (as Akka's own Ask uses, but one for the whole process instead of one per call): an answer
/// completes its pending call directly on the thread that delivers it, with no mailbox in between.
/// A pending call whose deadline passes fails with <see cref="NoReplyException"/>, so a lost coordinator turns into
/// an exception rather than a wait without end.
/// </summary>
public sealed class ReplyInbox : MinimalActorRef, IDisposable
{
    [ThreadStatic]
    private static bool t_completingInline;

    // The longest the timer is set for at once (Timer takes at most about 49 days); a later deadline re-arms it then.
    private const long LongestArm = 3_600_000;

    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly Timer _sweep;
    private readonly Lock _arming = new();
    private Exception? _abandoned;
    private int _disposed;

    // When the timer fires (Environment.TickCount64), long.MaxValue while it is off. It is set for the earliest
    // deadline of the calls waiting when it was set, not run at an interval: a process whose only call is a long
    // wait (a worker blocked on an event for minutes) is woken once, at that call's deadline, not twice a second.
    // Written only under _arming; read without it on each call, where a deadline at or after it needs nothing.
    private long _armedFor = long.MaxValue;

    /// <summary>Creates the inbox and registers it with <paramref name="system"/>'s provider.</summary>
    public ReplyInbox(ExtendedActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        Provider = system.Provider;
        Path = Provider.TempPath();
        Provider.RegisterTempActor(this, Path);
        _sweep = new Timer(static state => ((ReplyInbox)state!).Sweep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <inheritdoc />
    public override ActorPath Path { get; }

    /// <inheritdoc />
    public override IActorRefProvider Provider { get; }

    /// <summary>
    /// True while this thread (an Akka thread delivering an answer) runs what a blocking caller's call does after that
    /// answer. Blocking this thread then would stop it from ever delivering the next answer.
    /// </summary>
    public static bool CompletingInline => t_completingInline;

    /// <summary>Whether the deadline timer is set: only while some call waits with a deadline (and once more after).</summary>
    internal bool Sweeping => ArmedFor != long.MaxValue;

    /// <summary>When the deadline timer fires, in <see cref="Environment.TickCount64"/> milliseconds; <see cref="long.MaxValue"/> when it is off.</summary>
    internal long ArmedFor => Volatile.Read(ref _armedFor);

    /// <summary>The number of calls waiting for an answer.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>
    /// Registers a call that waits for the answer to <paramref name="requestId"/>. With <paramref name="completeInline"/>
    /// the task completes on the delivering thread (for a caller that blocks on it and must not need a thread-pool
    /// thread to wake up); otherwise its continuations run on the thread pool.
    /// </summary>
    /// <param name="requestId">The id the request carries.</param>
    /// <param name="deadline">When to give up, in <see cref="Environment.TickCount64"/> milliseconds; <see cref="long.MaxValue"/> for never.</param>
    /// <param name="completeInline">Whether the answer completes the task on the delivering thread.</param>
    public Task<IAioReply> Expect(long requestId, long deadline, bool completeInline)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _abandoned) is { } abandoned)
        {
            return Task.FromException<IAioReply>(abandoned);
        }

        var completion = new TaskCompletionSource<IAioReply>(completeInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(requestId, new Pending(completion, deadline, [])))
        {
            throw new InvalidOperationException($"Request id {requestId} is already waiting for an answer.");
        }

        // Abandoned while this call was being registered: Abandon may have missed it.
        if (Volatile.Read(ref _abandoned) is { } late && _pending.TryRemove(requestId, out _))
        {
            completion.TrySetException(late);
        }

        if (deadline != long.MaxValue)
        {
            // After the call is in _pending, with a full fence between (the sweep fences between turning the timer
            // off and reading the calls): either the sweep finds this call, or this read sees the timer off and sets it.
            Interlocked.MemoryBarrier();
            if (deadline < Volatile.Read(ref _armedFor))
            {
                ArmFor(deadline);
            }
        }

        return completion.Task;
    }

    /// <summary>No answer can come any more (the peer is gone): fails every waiting call, and every later one, with <paramref name="reason"/>.</summary>
    public void Abandon(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Volatile.Write(ref _abandoned, reason);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Completion.TrySetException(reason);
            }
        }
    }

    /// <summary>Stops waiting for <paramref name="requestId"/> (its request could not be sent).</summary>
    public void Forget(long requestId) => _pending.TryRemove(requestId, out _);

    /// <summary>Unregisters the inbox and fails every call still waiting.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_arming)
        {
            // Under the lock that sets the timer, so no call sets it once it is disposed.
            _sweep.Dispose();
        }

        Provider.UnregisterTempActor(Path);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Completion.TrySetException(new ObjectDisposedException(nameof(ReplyInbox), "The context was disposed while the call waited for its answer."));
            }
        }
    }

    /// <inheritdoc />
    protected override void TellInternal(object message, IActorRef sender)
    {
        if (message is Primitives.QueueActor.ItemPart part)
        {
            // Parts of a large item arrive, in order, ahead of the reply that completes it.
            if (_pending.TryGetValue(part.RequestId, out var waiting))
            {
                waiting.Parts.Add(part.Bytes);
            }

            return;
        }

        // Answers to calls that already gave up (deadline passed) are dropped: nobody waits for them.
        if (message is IAioReply reply && _pending.TryRemove(reply.RequestId, out var pending))
        {
            if (pending.Parts.Count > 0 && reply is IAssembledReply assembled)
            {
                reply = assembled.Assemble(pending.Parts);
            }

            var outer = t_completingInline;
            t_completingInline = true;
            try
            {
                pending.Completion.TrySetResult(reply);
            }
            finally
            {
                t_completingInline = outer;
            }
        }
    }

    private void ArmFor(long deadline)
    {
        lock (_arming)
        {
            if (deadline >= _armedFor || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            Volatile.Write(ref _armedFor, deadline);
            _sweep.Change(Math.Clamp(deadline - Environment.TickCount64, 0, LongestArm), Timeout.Infinite);
        }
    }

    private void Sweep()
    {
        // Off first, then look: a call registered from here on either is seen below or sets the timer itself.
        lock (_arming)
        {
            Volatile.Write(ref _armedFor, long.MaxValue);
        }

        Interlocked.MemoryBarrier();
        var now = Environment.TickCount64;
        var earliest = long.MaxValue;
        foreach (var (id, pending) in _pending)
        {
            if (pending.Deadline <= now && _pending.TryRemove(id, out var expired))
            {
                expired.Completion.TrySetException(new NoReplyException($"No answer to request {id} before its deadline."));
            }
            else
            {
                earliest = Math.Min(earliest, pending.Deadline);
            }
        }

        if (earliest != long.MaxValue)
        {
            // Capped so that a far deadline is looked at again within the timer's range (see LongestArm).
            ArmFor(Math.Min(earliest, now + LongestArm));
        }
    }

    private readonly record struct Pending(TaskCompletionSource<IAioReply> Completion, long Deadline, List<byte[]> Parts);
}
