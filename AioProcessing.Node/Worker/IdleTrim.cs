using System.Runtime.InteropServices;
using Akka.Configuration;

namespace AioProcessing.Node.Worker;

/// <summary>
/// Gives a worker node's memory back to the system while it is quiet. The .NET GC collects only when code
/// allocates, so a node that stops allocating (a warm node waiting for a target, a target waiting on an event, a
/// pool worker between tasks) keeps every page its start-up touched: about 5 MB more than its live heap, measured
/// on an idle worker. After <c>aio.node.idle-trim</c> during which the process allocated next to nothing, one
/// aggressive collection (<see cref="GCCollectionMode.Aggressive"/>, the mode meant for a process going idle)
/// compacts the heap and decommits what is free; on glibc <c>malloc_trim</c> gives back the native heap's free
/// pages (the runtime's and the JIT's own allocations: glibc returns only the top of its heap by itself, and kept
/// about 8 MB of an idle worker's free pages); and on Linux <see cref="CleanImagePages"/> drops the clean pages of
/// its code images from its working set (about 45 MB at the first trim, most of what an idle worker has resident). The trim repeats
/// every <see cref="ChecksBetweenTrims"/> intervals while the spell lasts, because an idle node still runs its
/// heartbeats, and tiered compilation, which keeps recompiling their methods for the node's first minutes, maps the
/// JIT's and the libraries' pages back in. Never for a large heap, whose compaction would be a long pause for a
/// target that merely stopped allocating.
/// </summary>
internal sealed partial class IdleTrim : IDisposable
{
    /// <summary>Allocated during one interval, at most, for the process to count as quiet (heartbeats allocate a few KB).</summary>
    internal const long QuietBytes = 1024 * 1024;

    /// <summary>The largest heap that is trimmed: its compaction takes a few milliseconds, not a noticeable pause.</summary>
    internal const long MaxHeapBytes = 64L * 1024 * 1024;

    /// <summary>Quiet intervals from one trim to the next within a quiet spell (a minute at the default 5 s).</summary>
    internal const int ChecksBetweenTrims = 12;

    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private long _allocatedAtLastCheck;

    // Targets started in this process, by NoteTargetStarted: a start ends a quiet spell even when it allocated little.
    private static int s_targetsStarted;

    // Quiet checks since this spell's last trim; null while the spell has not been trimmed yet.
    private int? _checksSinceTrim;
    private int _targetsStartedAtLastCheck;

    // Linux only, and cleared at the first call if its C library has no malloc_trim (musl).
    private static bool s_canTrimNativeHeap = OperatingSystem.IsLinux();

    private IdleTrim(TimeSpan interval)
    {
        _allocatedAtLastCheck = GC.GetTotalAllocatedBytes();
        _timer = new Timer(static state => ((IdleTrim)state!).Check(), this, interval, interval);
    }

    /// <summary>Starts trimming after <c>aio.node.idle-trim</c> of quiet; null when that is zero.</summary>
    public static IdleTrim? Start(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var interval = config.GetTimeSpan("aio.node.idle-trim", TimeSpan.Zero, allowInfinite: false);
        return interval > TimeSpan.Zero ? new IdleTrim(interval) : null;
    }

    /// <summary>
    /// Whether a check within a quiet spell should trim: the spell was not trimmed yet or its last trim was
    /// <see cref="ChecksBetweenTrims"/> checks ago, and the heap is small.
    /// </summary>
    internal static bool ShouldTrim(int? checksSinceTrim, long heapBytes) =>
        checksSinceTrim is null or >= ChecksBetweenTrims && heapBytes <= MaxHeapBytes;

    /// <summary>Whether one check ends a quiet spell: the process allocated too much over the interval, or a target started.</summary>
    internal static bool EndsQuietSpell(long allocatedDuringInterval, bool targetStarted) =>
        allocatedDuringInterval >= QuietBytes || targetStarted;

    /// <summary>
    /// Counts a target's start as activity: a warm node trimmed while it waited maps much of what it dropped back in
    /// to start its target, and the quiet spell after that start deserves its own trim, not one a minute later. A
    /// start allocates too little to be seen by the allocation count alone.
    /// </summary>
    internal static void NoteTargetStarted() => Interlocked.Increment(ref s_targetsStarted);

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();

    /// <summary>Gives the native heap's free pages back to the system, where the C library can (glibc).</summary>
    internal static bool TrimNativeHeap()
    {
        if (!s_canTrimNativeHeap)
        {
            return false;
        }

        try
        {
            malloc_trim(0);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_canTrimNativeHeap = false;
            return false;
        }
    }

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    private void Check()
    {
        lock (_gate)
        {
            var allocated = GC.GetTotalAllocatedBytes();
            var during = allocated - _allocatedAtLastCheck;
            _allocatedAtLastCheck = allocated;
            var targetsStarted = Volatile.Read(ref s_targetsStarted);
            var targetStarted = targetsStarted != _targetsStartedAtLastCheck;
            _targetsStartedAtLastCheck = targetsStarted;
            if (EndsQuietSpell(during, targetStarted))
            {
                // Busy again: the next quiet spell is trimmed at its start.
                _checksSinceTrim = null;
                return;
            }

            _checksSinceTrim++;
            if (!ShouldTrim(_checksSinceTrim, GC.GetTotalMemory(forceFullCollection: false)))
            {
                return;
            }

            _checksSinceTrim = 0;
            StartupTrace.Mark("idle trim");
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            TrimNativeHeap();
            var dropped = CleanImagePages.Drop();
            StartupTrace.Mark($"idle trim: {dropped} KB of clean image pages dropped");
            // What the collection allocated itself must not count as activity at the next check.
            _allocatedAtLastCheck = GC.GetTotalAllocatedBytes();
        }
    }
}
