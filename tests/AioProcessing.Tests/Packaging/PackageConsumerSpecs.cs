using AioProcessing.Tests.Queues;
using AioProcessing.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace AioProcessing.Tests.Packaging;

/// <summary>
/// A program made by docs/getting-started.md's commands from the packed packages, outside the repository and with an
/// empty NuGet cache, gets the ReadyToRun node beside it (the
/// AioProcessing.Api package's buildTransitive targets) and its workers start on it, and the packages it restores are
/// exactly those of consumer-packages.approved.txt. The deployment page's install command, run the same way, gives an
/// aio-node tool that starts a coordinator. Alone in its collection: it builds, and the machine has two cores.
/// </summary>
[Collection(LargeTransfers.Name)]
[Trait("Category", "Packaging")]
public sealed class PackageConsumerSpecs
{
    private readonly ITestOutputHelper _output;

    public PackageConsumerSpecs(ITestOutputHelper output) => _output = output;

    [Fact(Timeout = 900_000)]
    public async Task A_program_built_from_the_packages_starts_its_workers_on_the_ReadyToRun_node()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(14));
        var work = Directory.CreateTempSubdirectory("aio-consumer-");
        try
        {
            var built = await PackageConsumer.BuildAsync(SourceTree.Root, work.FullName, _output.WriteLine, bound.Token);
            var aioNode = Path.Combine(Path.GetDirectoryName(built.Dll)!, "aio-node");
            Assert.True(File.Exists(Path.Combine(aioNode, "AioProcessing.Node.dll")), "the package's build targets did not put aio-node/ beside the program");

            var output = await PackageConsumer.RunAsync("dotnet", [built.Dll], built.AppDirectory, _output.WriteLine, bound.Token);
            _output.WriteLine(output);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var node = Assert.Single(lines, l => l.StartsWith("NODE ", StringComparison.Ordinal))[5..];
            Assert.Equal(Path.Combine(aioNode, "AioProcessing.Node.dll"), node);
            // The library runs compiled too (one composite image with the node), not from the program's own folder.
            Assert.Equal(Path.Combine(aioNode, "AioProcessing.Api.dll"), Assert.Single(lines, l => l.StartsWith("API ", StringComparison.Ordinal))[4..]);
            Assert.True(File.Exists(Path.Combine(aioNode, "AioProcessing.Api.r2r.dll")), "aio-node/ holds no composite image");
            Assert.Contains("R2R True", lines);
            Assert.Single(lines, l => l.StartsWith("START_MS ", StringComparison.Ordinal));

            // What a package page shows: the license, and a README of the package's own whose links all leave the repository.
            foreach (var package in Directory.GetFiles(Path.Combine(work.FullName, "feed"), "*.nupkg"))
            {
                using var zip = System.IO.Compression.ZipFile.OpenRead(package);
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var manifest = await nuspec.ReadToEndAsync(bound.Token);
                Assert.Contains("<license type=\"expression\">MIT</license>", manifest, StringComparison.Ordinal);
                Assert.Contains("<readme>README.md</readme>", manifest, StringComparison.Ordinal);
                using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
                var links = System.Text.RegularExpressions.Regex.Matches(await readme.ReadToEndAsync(bound.Token), @"\]\(([^)]+)\)").Select(m => m.Groups[1].Value);
                Assert.All(links, link => Assert.StartsWith("https://", link, StringComparison.Ordinal));
            }

            // The dependency set is a deliberate choice: a package that joins it or leaves it changes this list.
            var approved = File.ReadAllLines(Path.Combine(SourceTree.Root, "tests", "AioProcessing.Tests", "Packaging", "consumer-packages.approved.txt"))
                .Where(line => line.Length > 0 && !line.StartsWith('#'))
                .ToList();
            var resolved = PackageConsumer.ResolvedPackages(built);
            _output.WriteLine($"{resolved.Count} packages:\n" + string.Join('\n', resolved));
            Assert.True(
                approved.SequenceEqual(resolved, StringComparer.OrdinalIgnoreCase),
                $"the consumer's package set changed. Joined: {string.Join(", ", resolved.Except(approved, StringComparer.OrdinalIgnoreCase))}. Left: {string.Join(", ", approved.Except(resolved, StringComparer.OrdinalIgnoreCase))}.");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact(Timeout = 600_000)]
    public async Task The_deployment_pages_install_command_gives_an_aio_node_tool_that_starts_a_coordinator()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(9));
        var work = Directory.CreateTempSubdirectory("aio-tool-");
        try
        {
            var aioNode = await PackageConsumer.InstallToolAsync(SourceTree.Root, work.FullName, _output.WriteLine, bound.Token);
            Assert.True(File.Exists(aioNode), $"the install did not put aio-node at {aioNode}");

            var start = new System.Diagnostics.ProcessStartInfo(aioNode) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "coordinator", "--host", "127.0.0.1", "--port", "0", "--secret-file", Path.Combine(work.FullName, "secret") })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["HOME"] = Path.Combine(work.FullName, "home");
            using var coordinator = System.Diagnostics.Process.Start(start)!;
            try
            {
                // It runs until stopped: its first line names the address workers join.
                var line = await coordinator.StandardOutput.ReadLineAsync(bound.Token);
                Assert.True(line?.StartsWith("COORDINATOR akka.tcp://", StringComparison.Ordinal), $"aio-node coordinator printed '{line}' first; stderr: {(coordinator.HasExited ? await coordinator.StandardError.ReadToEndAsync(bound.Token) : "")}");
                Assert.True(File.Exists(Path.Combine(work.FullName, "secret")), "no secret file was generated");
            }
            finally
            {
                coordinator.Kill(entireProcessTree: true);
                await coordinator.WaitForExitAsync(CancellationToken.None);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
