namespace AioProcessing.Internal;

/// <summary>
/// The one place sync twins are derived from async paths: every blocking member is
/// <c>Blocking.Wait(() => XCoreAsync(...))</c>, so timeouts, cancellation and errors behave identically in both.
/// While the call is being issued, <see cref="InSyncCall"/> is true on this thread; <see cref="CoordinatorLink"/> then has
/// the answer complete the call on the thread that delivers it (a dedicated Akka or lane thread), so a caller blocking a
/// thread-pool thread never needs another thread-pool thread to wake up. That holds for a call that sends its
/// request before its first await, which every facade does.
/// </summary>
internal static class Blocking
{
    [ThreadStatic]
    private static bool t_inSyncCall;

    /// <summary>Whether the request being issued on this thread belongs to a blocking caller.</summary>
    public static bool InSyncCall => t_inSyncCall;

    public static T Wait<T>(Func<Task<T>> call) => ThreadPoolHeadroom.Block(Issue(call));

    public static void Wait(Func<Task> call) => ThreadPoolHeadroom.Block(Issue(call));

    /// <summary>The sync twin of an async enumeration: each step blocks as <see cref="Wait{T}"/> does.</summary>
    public static IEnumerable<T> Enumerate<T>(IAsyncEnumerable<T> source, CancellationToken ct)
    {
        var items = source.GetAsyncEnumerator(ct);
        try
        {
            while (Wait(() => items.MoveNextAsync().AsTask()))
            {
                yield return items.Current;
            }
        }
        finally
        {
            Wait(() => items.DisposeAsync().AsTask());
        }
    }

    /// <summary>
    /// Awaits <paramref name="task"/>, except in a sync twin's call, where it waits on this thread: the rest of the
    /// call (often a send) then stays on the caller's thread instead of running on the thread that completed the
    /// task, and a caller blocking a thread-pool thread never needs another one to wake up.
    /// </summary>
    public static ValueTask<T> AwaitHere<T>(Task<T> task) => InSyncCall ? new(ThreadPoolHeadroom.Block(task)) : new(task);

    /// <inheritdoc cref="AwaitHere{T}(Task{T})"/>
    /// <param name="task">What to wait for.</param>
    /// <param name="ct">Stops the wait (not <paramref name="task"/>) with <see cref="OperationCanceledException"/>.</param>
    public static ValueTask AwaitHere(Task task, CancellationToken ct)
    {
        if (!InSyncCall)
        {
            return new(task.WaitAsync(ct));
        }

        using (ThreadPoolHeadroom.Hold(task))
        {
            task.Wait(ct);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Enters <paramref name="gate"/> within <paramref name="timeout"/>, on this thread in a sync twin's call (see <see cref="AwaitHere{T}(Task{T})"/>).</summary>
    public static ValueTask<bool> EnterHere(SemaphoreSlim gate, TimeSpan timeout, CancellationToken ct) =>
        InSyncCall ? new(EnterBlocking(gate, timeout, ct)) : new(gate.WaitAsync(timeout, ct));

    /// <summary>
    /// Runs user code (a barrier's action) from inside a call, as a call of its own: a blocking caller runs it, and
    /// waits for it, on its own thread, with <see cref="InSyncCall"/> off while it starts, so that what the user code
    /// calls is issued as its own sync or async call, never as a part of this one.
    /// </summary>
    public static ValueTask<T> AwaitUserCode<T>(Func<Task<T>> code)
    {
        if (!InSyncCall)
        {
            return new(code());
        }

        Task<T> running;
        t_inSyncCall = false;
        try
        {
            running = code();
        }
        finally
        {
            t_inSyncCall = true;
        }

        return new(ThreadPoolHeadroom.Block(running));
    }

    private static bool EnterBlocking(SemaphoreSlim gate, TimeSpan timeout, CancellationToken ct)
    {
        using (ThreadPoolHeadroom.Hold())
        {
            return gate.Wait(timeout, ct);
        }
    }

    private static TTask Issue<TTask>(Func<TTask> call)
        where TTask : Task
    {
        // A blocking call made while an answer is being delivered inline would wait for an answer only this thread
        // can deliver: a library bug, reported instead of a silent deadlock of the node's remoting.
        if (Actors.Client.ReplyInbox.CompletingInline)
        {
            throw new InvalidOperationException("A blocking AioProcessing call was made on the thread delivering an answer; use the async member there.");
        }

        var outer = t_inSyncCall;
        t_inSyncCall = true;
        try
        {
            return call();
        }
        finally
        {
            t_inSyncCall = outer;
        }
    }
}
