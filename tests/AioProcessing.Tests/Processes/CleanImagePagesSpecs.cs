using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using AioProcessing.Node.Worker;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>An idle worker's clean code-image pages leave its working set, and nothing else does.</summary>
public sealed partial class CleanImagePagesSpecs
{
    private const string Listing = """
        7f61d9650000-7f61d9651000 r--p 00000000 08:01 1001                       /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll
        Size:                  4 kB
        Rss:                   4 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me sd
        7f61d9651000-7f61da1cc000 r-xp 00000000 08:01 1001                       /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll
        Size:              11756 kB
        Rss:                6892 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me sd
        7f61da1cc000-7f61da54e000 rw-p 00b4c000 08:01 1001                       /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll
        Size:               3592 kB
        Rss:                2248 kB
        Anonymous:           232 kB
        VmFlags: rd wr mr mw me ac sd
        7f61db000000-7f61dbed6000 r--s 00000000 08:01 1001                       /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll
        Size:              15192 kB
        Rss:                3136 kB
        Anonymous:             0 kB
        VmFlags: rd sh mr mw me ms sd
        7f6258678000-7f62586a0000 r--p 00678000 08:01 2002                       /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so
        Size:                160 kB
        Rss:                 160 kB
        Anonymous:           160 kB
        VmFlags: rd mr mw me ac sd
        7f55bf2c5000-7f55bf542000 r-xp 000c5000 08:01 3003                       /usr/lib/x86_64-linux-gnu/libcrypto.so.3
        Size:               2548 kB
        Rss:                1908 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me lo sd
        7f55c0000000-7f55c0010000 r-xp 00000000 08:01 4004                       /opt/app/My Plugins/Plugin.dll
        Size:                 64 kB
        Rss:                  64 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me sd
        7f55c1000000-7f55c1100000 r-xp 00000000 08:01 4005                       /opt/app/cold.so
        Size:               1024 kB
        Rss:                   0 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me sd
        7f61dcd6c000-7f61dce00000 r-xs 00000000 00:01 5005                       /memfd:doublemapper (deleted)
        Size:                592 kB
        Rss:                 588 kB
        Anonymous:             0 kB
        VmFlags: rd ex sh mr mw me ms sd
        7f55c2000000-7f55c2100000 r--s 00000000 00:05 6006                       /dev/dri/card0
        Size:               1024 kB
        Rss:                1024 kB
        Anonymous:             0 kB
        VmFlags: rd sh mr mw me ms io pf sd
        7f55ffc00000-7f55ffda5000 rw-p 00000000 00:00 0
        Size:               1684 kB
        Rss:                1684 kB
        Anonymous:          1684 kB
        VmFlags: rd wr mr mw me ac sd
        """;

    [Fact]
    public void Only_read_only_code_image_mappings_without_private_pages_are_chosen()
    {
        using var smaps = new MemoryStream(Encoding.ASCII.GetBytes(Listing));
        var chosen = CleanImagePages.FindDroppable(smaps);
        Assert.Equal(
            [
                new CleanImagePages.Mapping(0x7f61d9650000, 0x7f61d9651000, 4),
                new CleanImagePages.Mapping(0x7f61d9651000, 0x7f61da1cc000, 6892),
                new CleanImagePages.Mapping(0x7f61db000000, 0x7f61dbed6000, 3136),
                new CleanImagePages.Mapping(0x7f55c0000000, 0x7f55c0010000, 64),
            ],
            chosen);
    }

    [Fact]
    public void A_listing_read_in_pieces_smaller_than_its_lines_gives_the_same_choice()
    {
        using var whole = new MemoryStream(Encoding.ASCII.GetBytes(Listing));
        using var trickle = new TrickleStream(Encoding.ASCII.GetBytes(Listing), 7);
        Assert.Equal(CleanImagePages.FindDroppable(whole), CleanImagePages.FindDroppable(trickle));
    }

    [Fact]
    public void Dropping_shrinks_this_processes_resident_image_pages_and_its_code_still_runs_the_same()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var data = Enumerable.Range(0, 1 << 20).Select(i => (byte)i).ToArray();
        var hashBefore = SHA256.HashData(data);
        var before = LeanWorkerSpecs.ResidentFileKb();
        var dropped = CleanImagePages.Drop();
        var after = LeanWorkerSpecs.ResidentFileKb();
        Assert.True(dropped > 8 * 1024, $"{dropped} KB dropped");
        Assert.True(before - after > 8 * 1024, $"resident file pages {before} KB before the drop, {after} KB after");
        Assert.Equal(hashBefore, SHA256.HashData(data));
    }

    [Fact]
    public void A_private_page_written_in_a_mapping_that_is_now_read_only_is_kept()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // A library the loader relocated looks like this: a private mapping of a ".so" whose page was written
        // while it was writable, then made read-only. Dropping it would bring back the file's byte.
        var path = Path.Combine(Path.GetTempPath(), $"aio-clean-pages-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(path, new byte[Environment.SystemPageSize]);
        try
        {
            using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.CopyOnWrite);
            using var view = file.CreateViewAccessor(0, Environment.SystemPageSize, MemoryMappedFileAccess.CopyOnWrite);
            var address = view.SafeMemoryMappedViewHandle.DangerousGetHandle() + (nint)view.PointerOffset;
            // Control: read, not written, and read-only, the same mapping is one that would be dropped.
            _ = Marshal.ReadByte(address);
            Assert.Equal(0, mprotect(address, (nuint)Environment.SystemPageSize, ProtRead));
            Assert.Contains(ChosenNow(), m => m.Start == (ulong)address);
            Assert.Equal(0, mprotect(address, (nuint)Environment.SystemPageSize, ProtRead | ProtWrite));

            view.Write(0, (byte)42);
            Assert.Equal(0, mprotect(address, (nuint)Environment.SystemPageSize, ProtRead));
            try
            {
                Assert.DoesNotContain(ChosenNow(), m => m.Start == (ulong)address);
                Assert.True(CleanImagePages.Drop() > 0);
                Assert.Equal(42, Marshal.ReadByte(address));
            }
            finally
            {
                Assert.Equal(0, mprotect(address, (nuint)Environment.SystemPageSize, ProtRead | ProtWrite));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<CleanImagePages.Mapping> ChosenNow()
    {
        using var smaps = new FileStream("/proc/self/smaps", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        return CleanImagePages.FindDroppable(smaps);
    }

    private const int ProtRead = 1;
    private const int ProtWrite = 2;

    [LibraryImport("libc")]
    private static partial int mprotect(nint address, nuint length, int protection);

    /// <summary>Gives its bytes a few at a time, as a pipe may.</summary>
    private sealed class TrickleStream(byte[] bytes, int piece) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, piece));
    }
}
