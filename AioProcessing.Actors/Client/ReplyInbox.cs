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

    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly Timer _sweep;
    private Exception? _abandoned;
    private int _disposed;

    // 1 while the sweep timer runs: only while some call waits with a deadline, so an idle process sleeps.
    private int _sweeping;

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

    /// <summary>Whether the deadline sweep runs: only while some call waits with a deadline.</summary>
    internal bool Sweeping => Volatile.Read(ref _sweeping) != 0;

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
            StartSweeping();
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

        _sweep.Dispose();
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

    private void StartSweeping()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 0 && Volatile.Read(ref _disposed) == 0)
        {
            _sweep.Change(SweepInterval, SweepInterval);
        }
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        var waitingWithDeadline = false;
        foreach (var (id, pending) in _pending)
        {
            if (pending.Deadline <= now && _pending.TryRemove(id, out var expired))
            {
                expired.Completion.TrySetException(new NoReplyException($"No answer to request {id} before its deadline."));
            }
            else
            {
                waitingWithDeadline |= pending.Deadline != long.MaxValue;
            }
        }

        if (waitingWithDeadline || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        // Nothing to watch: stop, then look again, since a call registered meanwhile saw the timer running.
        Volatile.Write(ref _sweeping, 0);
        _sweep.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_pending.Values.Any(p => p.Deadline != long.MaxValue))
        {
            StartSweeping();
        }
    }

    private readonly record struct Pending(TaskCompletionSource<IAioReply> Completion, long Deadline, List<byte[]> Parts);
}
