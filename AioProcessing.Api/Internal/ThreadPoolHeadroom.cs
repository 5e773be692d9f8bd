namespace AioProcessing.Internal;

/// <summary>
/// Keeps the .NET thread pool able to run other work while sync twins block its threads. A sync call made on a
/// thread-pool thread holds that thread until its answer comes (answers themselves never need the pool, see
/// <see cref="Blocking"/>), and past a few blocked threads the pool adds replacements only one every few hundred
/// milliseconds. Meanwhile, in the application's process, the socket completions that carry Akka.Remote's reads
/// (heartbeats among them) wait in the pool's queue behind whatever the blocked callers queued: 256 callers blocked at
/// once held remoting's reads back for more than 5 s, long enough for a worker's failure detector to declare a live
/// coordinator dead. So while more sync twins block pool threads than the runtime compensates for at once (one per
/// core), the pool's minimum is raised to cover them plus one thread per core, and it is put back when they are done.
/// </summary>
internal static class ThreadPoolHeadroom
{
    private static readonly Lock Gate = new();

    // Sync twins blocking a thread-pool thread now.
    private static int s_blocked;

    // While raised: the minimum it was raised from (to put back) and the one it was raised to (to know that nobody
    // else changed it since). Zero when not raised.
    private static int s_minimumBefore;
    private static int s_raisedTo;

    /// <summary>Waits for <paramref name="task"/> on this thread, as <c>GetAwaiter().GetResult()</c> does.</summary>
    public static T Block<T>(Task<T> task)
    {
        using (Hold(task))
        {
            return task.GetAwaiter().GetResult();
        }
    }

    /// <inheritdoc cref="Block{T}(Task{T})"/>
    public static void Block(Task task)
    {
        using (Hold(task))
        {
            task.GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Counts this thread as blocked until the handle is disposed, when it is a thread-pool thread about to wait
    /// (for <paramref name="pending"/> when given, and only while it is not complete).
    /// </summary>
    public static Holding Hold(Task? pending = null) =>
        (pending is null || !pending.IsCompleted) && Thread.CurrentThread.IsThreadPoolThread ? Enter() : default;

    /// <summary>How many sync twins block a thread-pool thread now (for the specs).</summary>
    internal static int Blocked => Volatile.Read(ref s_blocked);

    private static Holding Enter()
    {
        var blocked = Interlocked.Increment(ref s_blocked);
        var wanted = blocked + Environment.ProcessorCount;
        if (blocked > Environment.ProcessorCount)
        {
            ThreadPool.GetMinThreads(out var workers, out _);
            if (workers < wanted)
            {
                Raise(wanted);
            }
        }

        return new Holding(entered: true);
    }

    private static void Raise(int wanted)
    {
        lock (Gate)
        {
            ThreadPool.GetMinThreads(out var workers, out var completionPorts);
            if (workers >= wanted)
            {
                return;
            }

            // In steps of a quarter more, so that a crowd arriving one by one does not set it once per caller.
            var raiseTo = Math.Max(wanted, workers + (workers / 4));
            ThreadPool.GetMaxThreads(out var maxWorkers, out _);
            raiseTo = Math.Min(raiseTo, maxWorkers);
            if (raiseTo > workers && ThreadPool.SetMinThreads(raiseTo, completionPorts))
            {
                if (s_raisedTo == 0)
                {
                    s_minimumBefore = workers;
                }

                s_raisedTo = raiseTo;
            }
        }
    }

    private static void Leave()
    {
        if (Interlocked.Decrement(ref s_blocked) > 0 || Volatile.Read(ref s_raisedTo) == 0)
        {
            return;
        }

        lock (Gate)
        {
            if (Volatile.Read(ref s_blocked) > 0 || s_raisedTo == 0)
            {
                return;
            }

            // Put back only what this class set: a minimum the application set since then is the application's.
            ThreadPool.GetMinThreads(out var workers, out var completionPorts);
            if (workers == s_raisedTo)
            {
                ThreadPool.SetMinThreads(s_minimumBefore, completionPorts);
            }

            s_raisedTo = 0;
            s_minimumBefore = 0;
        }
    }

    /// <summary>A thread counted as blocked by <see cref="Hold"/>, until disposed.</summary>
    internal readonly struct Holding(bool entered) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose()
        {
            if (entered)
            {
                Leave();
            }
        }
    }
}
