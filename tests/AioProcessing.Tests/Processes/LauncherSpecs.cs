using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>What the worker launcher writes at run time, and where.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LauncherSpecs
{
    [Fact]
    public void A_runtimeconfig_written_for_a_node_lives_in_this_users_private_directory_per_library_version()
    {
        var path = AioProcessing.Node.Worker.WorkerLauncher.WriteRuntimeConfig();
        var versionDirectory = Path.GetDirectoryName(path)!;
        Assert.Equal(AioProcessing.Node.Lane.LaneDirectory.Resolve(null), Path.GetDirectoryName(versionDirectory));
        Assert.Equal("node-" + typeof(AioProcessing.Node.Worker.WorkerLauncher).Assembly.GetName().Version, Path.GetFileName(versionDirectory));
        var privateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(privateMode, File.GetUnixFileMode(versionDirectory));
        Assert.Equal(privateMode, File.GetUnixFileMode(Path.GetDirectoryName(versionDirectory)!));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(Environment.Version.ToString(), json.RootElement.GetProperty("runtimeOptions").GetProperty("framework").GetProperty("version").GetString());
    }
}
