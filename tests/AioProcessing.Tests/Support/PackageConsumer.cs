using System.Diagnostics;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A program built from the packed packages, outside the repository, as a user builds one: the repository's sources
/// (as git tracks them) are packed with a version of their own into a local feed, and a console project that
/// references AioProcessing.Api from that feed is built. Its program starts processes and prints where its worker's
/// node program came from, whether that was the ReadyToRun image, and the median cold start. Used by the packaging
/// spec and by the benchmark (process_start_join_ms, impl AioProcessing-package).
/// </summary>
internal static class PackageConsumer
{
    private const string Program = """
        using System.Diagnostics;
        using System.Reflection.PortableExecutable;
        using AioProcessing;

        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 0" });
        var reports = new AioQueue<string>(context: context);
        var starts = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var clock = Stopwatch.StartNew();
            var process = new AioProcess(context, Report, reports);
            await process.StartAsync();
            await process.JoinAsync(TimeSpan.FromSeconds(60));
            starts.Add(clock.Elapsed.TotalMilliseconds);
            var report = await reports.GetAsync(TimeSpan.FromSeconds(60));
            if (i == 0)
            {
                Console.WriteLine(report);
            }
        }

        // The first start pays for this process's own first use of the coordinator; the rest are the child's.
        starts.RemoveAt(0);
        starts.Sort();
        Console.WriteLine($"START_MS {starts[starts.Count / 2]:0.0}");

        static void Report(AioQueue<string> reports)
        {
            var node = AppDomain.CurrentDomain.GetAssemblies().First(a => a.GetName().Name == "AioProcessing.Node").Location;
            using var image = new PEReader(File.OpenRead(node));
            var readyToRun = image.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
            reports.Put($"NODE {node}\nR2R {readyToRun}");
        }
        """;

    /// <summary>What <see cref="BuildAsync"/> made.</summary>
    /// <param name="AppDirectory">The consumer project's folder.</param>
    /// <param name="Dll">The built program.</param>
    /// <param name="Version">The version the packages were packed with.</param>
    public sealed record Built(string AppDirectory, string Dll, string Version);

    /// <summary>The repository's root, found upwards from this assembly's folder.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AioProcessing.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("AioProcessing.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Packs the packages from <paramref name="repository"/> and builds the consumer under <paramref name="workDirectory"/>.</summary>
    public static async Task<Built> BuildAsync(string repository, string workDirectory, Action<string> log, CancellationToken ct)
    {
        var version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var sources = Path.Combine(workDirectory, "src");
        var feed = Path.Combine(workDirectory, "feed");
        var app = Path.Combine(workDirectory, "app");
        foreach (var file in (await RunAsync("git", ["ls-files"], repository, log, ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var target = Path.Combine(sources, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(repository, file), target);
        }

        foreach (var project in new[] { "AioProcessing.Actors", "AioProcessing.Node", "AioProcessing.Api" })
        {
            await RunAsync("dotnet", ["pack", Path.Combine(sources, project, project + ".csproj"), "-c", "Release", "-o", feed, $"-p:Version={version}", "-p:AioLocalPack=true", "-nologo"], sources, log, ct);
        }

        Directory.CreateDirectory(app);
        await File.WriteAllTextAsync(Path.Combine(app, "consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="AioProcessing.Api" Version="{version}" />
              </ItemGroup>
            </Project>
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program, ct);
        await RunAsync("dotnet", ["build", app, "-c", "Release", "-nologo"], app, log, ct);
        return new Built(app, Path.Combine(app, "bin", "Release", "net10.0", "consumer.dll"), version);
    }

    /// <summary>
    /// Every package the consumer's restore resolved (its whole transitive closure, from obj/project.assets.json),
    /// by id, sorted; the project's own packages left out.
    /// </summary>
    public static IReadOnlyList<string> ResolvedPackages(Built built)
    {
        using var assets = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(built.AppDirectory, "obj", "project.assets.json")));
        return assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(library => library.Value.GetProperty("type").GetString() == "package")
            .Select(library => library.Name[..library.Name.IndexOf('/', StringComparison.Ordinal)])
            .Where(id => !id.StartsWith("AioProcessing.", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>Removes the packages of <paramref name="version"/> from the global packages folder (each build packs a new version).</summary>
    public static void ForgetPackages(string version)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "aioprocessing.actors", "aioprocessing.node", "aioprocessing.api" })
        {
            var folder = Path.Combine(cache, id, version);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Runs <paramref name="file"/> to its end; its standard output, or an exception with both streams when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string directory, Action<string> log, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A build of the copy must not be steered by this process's own build or test settings.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        log($"$ {file} {string.Join(' ', start.ArgumentList)}");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }

        return await output;
    }
}
