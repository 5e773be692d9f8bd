using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;

namespace AioProcessing.Node.Lane;

/// <summary>
/// Where a coordinator's lane socket lives: a directory only this user can open (<c>$XDG_RUNTIME_DIR/aioprocessing</c>,
/// else <c>/tmp/aioprocessing-&lt;uid&gt;</c>, or <c>aio.lane.directory</c>), under a name made from the coordinator's
/// address. A process that knows the address finds the socket with no other hint; a process of another user, or
/// on another host, finds none and stays on Akka.Remote.
/// </summary>
internal static partial class LaneDirectory
{
    /// <summary>Whether this platform has the lane at all (Linux: Unix domain sockets and statx).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>
    /// The lane directory: <paramref name="configured"/> when not empty, else the per-user default (also where other
    /// files a node writes at run time live, such as a runtimeconfig for a node program copied without its own).
    /// </summary>
    public static string Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Path.GetTempPath(), "aioprocessing-" + Environment.UserName);
        }

        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return !string.IsNullOrEmpty(runtime) && Directory.Exists(runtime)
            ? Path.Combine(runtime, "aioprocessing")
            : Path.Combine(Path.GetTempPath(), $"aioprocessing-{geteuid()}");
    }

    /// <summary>
    /// Creates <paramref name="directory"/> with mode 0700, or checks that the one there is a directory of this user
    /// with that mode: a directory someone else made (in /tmp, anyone can) could let them read or replace the socket.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The directory belongs to another user or others may open it.</exception>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static void Secure(string directory)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (uid, mode, isDirectory) = Stat(directory);
        if (!isDirectory || uid != geteuid())
        {
            throw new UnauthorizedAccessException($"The lane directory {directory} is not a directory owned by this user (uid {geteuid()}).");
        }

        if ((mode & 0x3F) != 0)
        {
            throw new UnauthorizedAccessException($"The lane directory {directory} may be opened by other users (mode {Convert.ToString(mode & 0x1FF, 8)}); it must be 700.");
        }
    }

    /// <summary>
    /// The socket of the coordinator at <paramref name="coordinator"/> in <paramref name="directory"/>. A name too
    /// long for a socket address (108 bytes) is hashed.
    /// </summary>
    public static string SocketPath(string directory, Address coordinator)
    {
        var name = $"{coordinator.System}@{coordinator.Host}-{coordinator.Port}.sock";
        var path = Path.Combine(directory, name);
        if (Encoding.UTF8.GetByteCount(path) < 100)
        {
            return path;
        }

        return Path.Combine(directory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..24] + ".sock");
    }

    /// <summary>
    /// Whether <paramref name="coordinator"/> is on this host as this process sees it: its host is loopback or an
    /// address of one of this process's network interfaces. A process in another network namespace sees other
    /// interfaces, so for it the coordinator is on another host even where both share a file system.
    /// </summary>
    public static bool IsThisHost(Address coordinator)
    {
        if (coordinator.Host is not { } host)
        {
            return false;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(host, out var ip))
        {
            return false;
        }

        if (IPAddress.IsLoopback(ip))
        {
            return true;
        }

        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Any(a => a.Address.Equals(ip));
        }
        catch (NetworkInformationException)
        {
            return false;
        }
    }

    private static (uint Uid, ushort Mode, bool IsDirectory) Stat(string path)
    {
        // struct statx has one layout on every architecture: stx_uid at 20, stx_mode at 28.
        Span<byte> buffer = stackalloc byte[256];
        const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxMode = 0x2, StatxUid = 0x8;
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxMode | StatxUid, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            throw new UnauthorizedAccessException($"Cannot read the owner of the lane directory {path} (errno {Marshal.GetLastPInvokeError()}).");
        }

        var uid = MemoryMarshal.Read<uint>(buffer[20..]);
        var mode = MemoryMarshal.Read<ushort>(buffer[28..]);
        return (uid, mode, (mode & 0xF000) == 0x4000);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial uint geteuid();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, int mask, ref byte buffer);
}
