using System.IO.Compression;
using System.Reflection.Metadata;
using AioProcessing.Tests.Queues;
using AioProcessing.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace AioProcessing.Tests.Packaging;

/// <summary>
/// A package points at the repository it was built from: from a clone whose remote is public, the pack writes the
/// repository and project URLs and a Source Link map in the PDB of the symbol package; from one without, the pack
/// fails and says why, instead of shipping packages that point nowhere. Alone in its collection: it builds.
/// </summary>
[Collection(LargeTransfers.Name)]
[Trait("Category", "Packaging")]
public sealed class PackageMetadataSpecs
{
    private const string Remote = "https://github.com/example/aioprocessing.git";

    // The Source Link entry of a portable PDB's custom debug information (the Portable PDB specification).
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private readonly ITestOutputHelper _output;

    public PackageMetadataSpecs(ITestOutputHelper output) => _output = output;

    [Fact(Timeout = 600_000)]
    public async Task A_pack_from_a_public_clone_carries_its_urls_and_source_link_and_one_without_a_remote_fails()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(9));
        var work = Directory.CreateTempSubdirectory("aio-pack-");
        try
        {
            var clone = Path.Combine(work.FullName, "clone");
            await PackageConsumer.RunAsync("git", ["clone", "-q", "--no-hardlinks", SourceTree.Root, clone], work.FullName, _output.WriteLine, bound.Token);
            var commit = (await PackageConsumer.RunAsync("git", ["rev-parse", "HEAD"], clone, _output.WriteLine, bound.Token)).Trim();
            await PackageConsumer.RunAsync("git", ["remote", "set-url", "origin", Remote], clone, _output.WriteLine, bound.Token);
            var project = Path.Combine(clone, "AioProcessing.Actors", "AioProcessing.Actors.csproj");
            var feed = Path.Combine(work.FullName, "feed");

            await PackageConsumer.RunAsync("dotnet", ["pack", project, "-c", "Release", "-o", feed, "-nologo"], clone, _output.WriteLine, bound.Token);
            var manifest = ReadEntry(Directory.GetFiles(feed, "*.nupkg").Single(), e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            var repository = Assert.Single(manifest.Split('\n'), line => line.Contains("<repository ", StringComparison.Ordinal));
            Assert.Contains($"url=\"{Remote}\"", repository, StringComparison.Ordinal);
            Assert.Contains($"commit=\"{commit}\"", repository, StringComparison.Ordinal);
            Assert.Contains("<projectUrl>https://github.com/example/aioprocessing</projectUrl>", manifest, StringComparison.Ordinal);

            var sourceLink = SourceLinkOf(Directory.GetFiles(feed, "*.snupkg").Single(), "AioProcessing.Actors.pdb");
            _output.WriteLine(sourceLink);
            Assert.Contains($"https://raw.githubusercontent.com/example/aioprocessing/{commit}/*", sourceLink, StringComparison.Ordinal);

            await PackageConsumer.RunAsync("git", ["remote", "remove", "origin"], clone, _output.WriteLine, bound.Token);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                PackageConsumer.RunAsync("dotnet", ["pack", project, "-c", "Release", "-o", Path.Combine(work.FullName, "refused"), "-nologo"], clone, _output.WriteLine, bound.Token));
            Assert.Contains("No public repository for Source Link and the package URLs", refused.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(work.FullName, "refused")) && Directory.EnumerateFiles(Path.Combine(work.FullName, "refused"), "*.nupkg").Any());
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string ReadEntry(string package, Func<ZipArchiveEntry, bool> which)
    {
        using var zip = ZipFile.OpenRead(package);
        using var reader = new StreamReader(zip.Entries.Single(which).Open());
        return reader.ReadToEnd();
    }

    private static string SourceLinkOf(string symbolPackage, string pdbName)
    {
        using var zip = ZipFile.OpenRead(symbolPackage);
        using var pdb = new MemoryStream();
        using (var entry = zip.Entries.Single(e => e.Name == pdbName).Open())
        {
            entry.CopyTo(pdb);
        }

        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var handle = reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition)
            .Select(reader.GetCustomDebugInformation)
            .Single(info => reader.GetGuid(info.Kind) == SourceLinkKind);
        return System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(handle.Value));
    }
}
