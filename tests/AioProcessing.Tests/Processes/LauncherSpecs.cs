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

    [Fact]
    public void The_ReadyToRun_node_is_passed_over_when_the_application_carries_a_later_version_of_one_of_its_assemblies()
    {
        var work = Directory.CreateTempSubdirectory("aio-launcher-");
        try
        {
            var node = work.CreateSubdirectory("aio-node").FullName;
            var application = work.FullName;
            var earlier = typeof(Akka.Actor.ActorSystem).Assembly.Location; // 1.5.x
            var later = typeof(MessagePack.MessagePackSerializer).Assembly.Location; // 2.5.x
            Assert.True(System.Reflection.AssemblyName.GetAssemblyName(earlier).Version < System.Reflection.AssemblyName.GetAssemblyName(later).Version);

            // Same versions, a file that is no assembly, and one only the node has: the node is fine.
            File.Copy(later, Path.Combine(node, "Shared.dll"));
            File.Copy(later, Path.Combine(application, "Shared.dll"));
            File.WriteAllText(Path.Combine(node, "Native.dll"), "not an assembly");
            File.WriteAllText(Path.Combine(application, "Native.dll"), "not an assembly");
            File.Copy(earlier, Path.Combine(node, "OnlyInNode.dll"));
            Assert.Null(AioProcessing.Node.Worker.WorkerLauncher.OlderThanApplications(node, application));

            // The application lifted one above the node's copy: named, so the launcher takes the JIT-compiled node.
            File.Copy(earlier, Path.Combine(node, "Lifted.dll"));
            File.Copy(later, Path.Combine(application, "Lifted.dll"));
            Assert.Equal("Lifted.dll", AioProcessing.Node.Worker.WorkerLauncher.OlderThanApplications(node, application));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
