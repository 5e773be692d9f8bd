using System.Diagnostics;
using Xunit;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A second host on this machine: a Linux network namespace joined to this one by a veth pair, with an address on
/// each side, so that a worker started in it reaches the coordinator over a real link that a spec can cut
/// (<see cref="CutAsync"/>) and mend. Needs root and iproute2 (as in CI); see <see cref="NamespaceFactAttribute"/>.
/// Disposing removes the namespace and the link.
/// </summary>
public sealed class NetworkHosts : IAsyncDisposable
{
    private readonly string _hostSide;

    private NetworkHosts(string name, string hostSide, string here, string there)
    {
        Namespace = name;
        _hostSide = hostSide;
        HereAddress = here;
        ThereAddress = there;
    }

    /// <summary>The namespace's name, for <see cref="ChildProgram.StartInNamespace"/>.</summary>
    public string Namespace { get; }

    /// <summary>This host's address on the link (bind the coordinator here).</summary>
    public string HereAddress { get; }

    /// <summary>The other host's address on the link.</summary>
    public string ThereAddress { get; }

    /// <summary>Why namespaces cannot be made here, or null when they can.</summary>
    public static string? Unavailable { get; } = Probe();

    /// <summary>Makes the other host. Each run takes its own subnet of 10.213.0.0/16, so parallel runs do not meet.</summary>
    public static async Task<NetworkHosts> StartAsync()
    {
        var id = Random.Shared.Next(1, 250);
        var name = $"aio-spec-{Environment.ProcessId}-{id}";
        var hostSide = $"aioh{id}x{Environment.ProcessId % 10000}";
        var nsSide = $"aion{id}x{Environment.ProcessId % 10000}";
        var (here, there) = ($"10.213.{id}.1", $"10.213.{id}.2");
        var hosts = new NetworkHosts(name, hostSide, here, there);
        try
        {
            await IpAsync("netns", "add", name);
            await IpAsync("link", "add", hostSide, "type", "veth", "peer", "name", nsSide);
            await IpAsync("link", "set", nsSide, "netns", name);
            await IpAsync("addr", "add", here + "/24", "dev", hostSide);
            await IpAsync("link", "set", hostSide, "up");
            await IpAsync("-n", name, "addr", "add", there + "/24", "dev", nsSide);
            await IpAsync("-n", name, "link", "set", nsSide, "up");
            await IpAsync("-n", name, "link", "set", "lo", "up");
            return hosts;
        }
        catch
        {
            await hosts.DisposeAsync();
            throw;
        }
    }

    /// <summary>Takes the link down: packets between the hosts go nowhere, and no connection is told so.</summary>
    public Task CutAsync() => IpAsync("link", "set", _hostSide, "down");

    /// <summary>Brings the link back up.</summary>
    public Task MendAsync() => IpAsync("link", "set", _hostSide, "up");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The veth pair goes with either end; whatever is left of a failed start is removed as far as it exists.
        await TryIpAsync("link", "del", _hostSide);
        await TryIpAsync("netns", "del", Namespace);
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces are Linux only";
        }

        if (Environment.UserName != "root")
        {
            return $"making network namespaces needs root (running as {Environment.UserName})";
        }

        var name = $"aio-probe-{Environment.ProcessId}";
        try
        {
            IpAsync("netns", "add", name).GetAwaiter().GetResult();
            IpAsync("netns", "del", name).GetAwaiter().GetResult();
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"network namespaces cannot be made here: {ex.Message}";
        }
    }

    private static async Task TryIpAsync(params string[] args)
    {
        try
        {
            await IpAsync(args);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static async Task IpAsync(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var ip = Process.Start(start)!;
        using var bound = new CancellationTokenSource(Bounds.Remote);
        var error = ip.StandardError.ReadToEndAsync(bound.Token);
        await ip.WaitForExitAsync(bound.Token);
        if (ip.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} exited {ip.ExitCode}: {(await error).Trim()}");
        }
    }
}

/// <summary>A fact that needs <see cref="NetworkHosts"/>: skipped, with the reason, where namespaces cannot be made.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NamespaceFactAttribute : FactAttribute
{
    /// <summary>Skips the fact where <see cref="NetworkHosts.Unavailable"/> says why.</summary>
    public NamespaceFactAttribute()
    {
        if (NetworkHosts.Unavailable is { } why)
        {
            Skip = "needs network namespaces: " + why;
        }
    }
}
