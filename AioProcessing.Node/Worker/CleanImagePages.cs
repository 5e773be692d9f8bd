using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AioProcessing.Node.Worker;

/// <summary>
/// Drops an idle worker's clean pages of code images (the assemblies and native libraries it mapped) from its working
/// set, as Windows trims an idle process's working set. Most of an idle worker's resident memory is such pages: about
/// 50 of 71 MB, measured here, partly counted twice because the runtime maps each ReadyToRun assembly once whole
/// (to read its metadata) and once by section. They are the page cache's, shared with other processes that map the
/// same files; unmapping them frees nothing the kernel could not take back anyway, but it leaves them unmapped page
/// cache, the first thing reclaimed, and the resident size then shows what the process really holds. A page the
/// node touches again comes back from the page cache on a minor fault.
/// </summary>
/// <remarks>
/// Only mappings whose contents the file alone defines are dropped, so that <c>MADV_DONTNEED</c> (which makes the
/// next touch read the file again) cannot lose anything: a code image's mapping that is not writable and holds no
/// private copy of a page (<c>Anonymous: 0</c> in <c>/proc/self/smaps</c>). Relocated data, which the loader wrote
/// to, is such a private copy and keeps its mapping. Locked, I/O and raw-page mappings are left alone. What smaps
/// said can change before <c>madvise</c> runs only if another thread makes a clean read-only image mapping
/// writable and writes to it in that moment; neither the runtime (which relocates only writable data) nor the C
/// library's loader (whose RELRO pages are written before they become read-only) does that.
/// </remarks>
internal static partial class CleanImagePages
{
    private const int MadviseDontNeed = 4;

    // Linux only; cleared at the first call where madvise or /proc/self/smaps is missing.
    private static bool s_canDrop = OperatingSystem.IsLinux();

    /// <summary>A mapping that can be dropped: its address range and how much of it was resident.</summary>
    internal readonly record struct Mapping(ulong Start, ulong End, long ResidentKb);

    /// <summary>
    /// Drops every clean code-image mapping of this process from its working set; returns the kilobytes that were
    /// resident in them, or -1 where this cannot be done (not Linux).
    /// </summary>
    internal static long Drop()
    {
        if (!s_canDrop)
        {
            return -1;
        }

        List<Mapping> droppable;
        try
        {
            using var smaps = new FileStream("/proc/self/smaps", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            droppable = FindDroppable(smaps);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            s_canDrop = false;
            return -1;
        }

        var dropped = 0L;
        try
        {
            foreach (var mapping in droppable)
            {
                // A mapping unmapped since smaps was read fails with ENOMEM and is simply skipped.
                if (madvise((nint)mapping.Start, (nuint)(mapping.End - mapping.Start), MadviseDontNeed) == 0)
                {
                    dropped += mapping.ResidentKb;
                }
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_canDrop = false;
            return -1;
        }

        return dropped;
    }

    /// <summary>The mappings in a <c>/proc/PID/smaps</c> listing that <see cref="Drop"/> may drop.</summary>
    /// <remarks>
    /// Parsed as bytes, in one buffer, by this method's own loops: strings for its 15,000 lines would be a megabyte
    /// of garbage left in the heap the trim has just compacted, and library helpers called that often would be
    /// recompiled by tiered compilation right after the trim, mapping the JIT's pages back in.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static List<Mapping> FindDroppable(Stream smaps)
    {
        ArgumentNullException.ThrowIfNull(smaps);
        var found = new List<Mapping>();
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var entry = default(Entry);
        while (true)
        {
            var read = smaps.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            var consumed = 0;
            for (var i = 0; i < filled; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    Line(buffer.AsSpan(consumed, i - consumed), ref entry, found);
                    consumed = i + 1;
                }
            }

            if (read == 0)
            {
                Line(buffer.AsSpan(consumed, filled - consumed), ref entry, found);
                return found;
            }

            if (consumed == 0 && filled == buffer.Length)
            {
                throw new IOException("A line of /proc/self/smaps is longer than 64 KB.");
            }

            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
        }
    }

    // One mapping's entry as it is read: its header, then "Rss:", "Anonymous:" and, last, "VmFlags:".
    private struct Entry
    {
        public bool Candidate;
        public ulong Start;
        public ulong End;
        public long ResidentKb;
        public long AnonymousKb;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Line(ReadOnlySpan<byte> line, ref Entry entry, List<Mapping> found)
    {
        if (TryParseHeader(line, ref entry))
        {
            return;
        }

        if (!entry.Candidate)
        {
            return;
        }

        if (line.StartsWith("Rss:"u8))
        {
            entry.ResidentKb = ParseKb(line);
        }
        else if (line.StartsWith("Anonymous:"u8))
        {
            entry.AnonymousKb = ParseKb(line);
        }
        else if (line.StartsWith("VmFlags:"u8))
        {
            var flags = line["VmFlags:".Length..];
            if (entry.AnonymousKb == 0 && entry.ResidentKb > 0 && !HasFlag(flags, (byte)'l', (byte)'o') && !HasFlag(flags, (byte)'i', (byte)'o') && !HasFlag(flags, (byte)'p', (byte)'f'))
            {
                found.Add(new Mapping(entry.Start, entry.End, entry.ResidentKb));
            }

            entry.Candidate = false;
        }
    }

    // "7f61d9650000-7f61d9651000 r-xp 00000000 08:01 1234   /usr/share/dotnet/.../System.Private.CoreLib.dll":
    // a candidate is a code image (a .dll or a shared library) mapped without write permission.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryParseHeader(ReadOnlySpan<byte> line, ref Entry entry)
    {
        var i = 0;
        if (!TryParseHex(line, ref i, out var start) || i >= line.Length || line[i] != (byte)'-')
        {
            return false;
        }

        i++;
        if (!TryParseHex(line, ref i, out var end) || i + 5 >= line.Length || line[i] != (byte)' ')
        {
            return false;
        }

        var writable = line[i + 2] == (byte)'w';
        // Past the permissions, offset, device and inode to the path, if any.
        var fields = 0;
        for (i++; i < line.Length && fields < 4; i++)
        {
            if (line[i] == (byte)' ')
            {
                fields++;
            }
        }

        while (i < line.Length && line[i] == (byte)' ')
        {
            i++;
        }

        var path = line[i..];
        entry = new Entry { Candidate = !writable && path.Length > 0 && path[0] == (byte)'/' && IsCodeImage(path), Start = start, End = end, AnonymousKb = -1 };
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsCodeImage(ReadOnlySpan<byte> path) =>
        path.EndsWith(".dll"u8) || path.EndsWith(".so"u8) || path.IndexOf(".so."u8) >= 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryParseHex(ReadOnlySpan<byte> line, ref int i, out ulong value)
    {
        value = 0;
        var first = i;
        for (; i < line.Length; i++)
        {
            var c = line[i];
            var digit = c is >= (byte)'0' and <= (byte)'9' ? c - '0' : c is >= (byte)'a' and <= (byte)'f' ? c - 'a' + 10 : -1;
            if (digit < 0)
            {
                break;
            }

            value = (value << 4) | (uint)digit;
        }

        return i > first;
    }

    // "Rss:                 788 kB".
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long ParseKb(ReadOnlySpan<byte> line)
    {
        var kb = 0L;
        var digits = false;
        foreach (var c in line)
        {
            if (c is >= (byte)'0' and <= (byte)'9')
            {
                kb = (kb * 10) + (c - '0');
                digits = true;
            }
            else if (digits)
            {
                break;
            }
        }

        return digits ? kb : -1;
    }

    // VmFlags are two-letter codes separated by spaces: "rd ex mr mw me sd".
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool HasFlag(ReadOnlySpan<byte> flags, byte first, byte second)
    {
        for (var i = 0; i + 1 < flags.Length; i++)
        {
            if (flags[i] == first && flags[i + 1] == second && (i == 0 || flags[i - 1] == (byte)' ') && (i + 2 == flags.Length || flags[i + 2] == (byte)' '))
            {
                return true;
            }
        }

        return false;
    }

    [LibraryImport("libc")]
    private static partial int madvise(nint address, nuint length, int advice);
}
