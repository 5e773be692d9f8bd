using System.Diagnostics;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A program built from the packed packages, outside the repository, as a user builds one: the repository's sources
/// (as git tracks them) are packed into a local feed, and the commands docs/getting-started.md gives (read from the
/// page itself) make a console project that references AioProcessing.Api from that feed, with a NuGet cache of its
/// own that starts empty, as on a fresh machine. Its program starts processes and prints where its worker's
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
        // The first start reports where its node came from (and pays for this process's own first use of the
        // coordinator); the five timed ones run an empty target, as the repository's own figure does.
        var first = new AioProcess(context, Report, reports);
        await first.StartAsync();
        await first.JoinAsync(TimeSpan.FromSeconds(60));
        Console.WriteLine(await reports.GetAsync(TimeSpan.FromSeconds(60)));
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            var process = new AioProcess(context, Empty);
            await process.StartAsync();
            await process.JoinAsync(TimeSpan.FromSeconds(60));
            starts.Add(clock.Elapsed.TotalMilliseconds);
        }

        starts.Sort();
        Console.WriteLine($"START_MS {starts[starts.Count / 2]:0.0}");

        static void Empty()
        {
        }

        static void Report(AioQueue<string> reports)
        {
            var node = AppDomain.CurrentDomain.GetAssemblies().First(a => a.GetName().Name == "AioProcessing.Node").Location;
            var api = AppDomain.CurrentDomain.GetAssemblies().First(a => a.GetName().Name == "AioProcessing.Api").Location;
            using var image = new PEReader(File.OpenRead(node));
            var readyToRun = image.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
            reports.Put($"NODE {node}\nAPI {api}\nR2R {readyToRun}");
        }
        """;

    /// <summary>What <see cref="BuildAsync"/> made.</summary>
    /// <param name="AppDirectory">The consumer project's folder.</param>
    /// <param name="Dll">The built program.</param>
    /// <param name="Environment">The NuGet locations the project was restored with (its own, under the work folder).</param>
    public sealed record Built(string AppDirectory, string Dll, IReadOnlyDictionary<string, string> Environment);

    /// <summary>The shell commands of docs/getting-started.md's first step, as the page gives them.</summary>
    public static string GettingStartedCommands(string repository)
    {
        var page = File.ReadAllText(Path.Combine(repository, "docs", "getting-started.md"));
        var step = page[page.IndexOf("## 1.", StringComparison.Ordinal)..];
        var block = step[(step.IndexOf("```bash\n", StringComparison.Ordinal) + "```bash\n".Length)..];
        return block[..block.IndexOf("```", StringComparison.Ordinal)];
    }

    /// <summary>Packs the packages from <paramref name="repository"/> and builds the consumer under <paramref name="workDirectory"/>.</summary>
    public static async Task<Built> BuildAsync(string repository, string workDirectory, Action<string> log, CancellationToken ct)
    {
        var sources = Path.Combine(workDirectory, "src");
        var feed = Path.Combine(workDirectory, "feed");

        var nuget = EmptyNuGetCache(workDirectory);
        await CopySourcesAsync(repository, sources, log, ct);

        foreach (var project in new[] { "AioProcessing.Actors", "AioProcessing.Node", "AioProcessing.Api" })
        {
            await RunAsync("dotnet", ["pack", Path.Combine(sources, project, project + ".csproj"), "-c", "Release", "-o", feed, "-p:AioLocalPack=true", "-nologo"], sources, log, ct);
        }

        var commands = GettingStartedCommands(sources).Replace("/path/to/artifacts/packages", feed, StringComparison.Ordinal);
        await RunAsync("bash", ["-euo", "pipefail", "-c", commands], workDirectory, log, ct, nuget);
        var app = Path.Combine(workDirectory, "MyApp");
        if (!File.Exists(Path.Combine(app, "MyApp.csproj")))
        {
            throw new InvalidOperationException("docs/getting-started.md's commands no longer make MyApp/MyApp.csproj; this builder follows them.");
        }

        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program, ct);
        await RunAsync("dotnet", ["build", app, "-c", "Release", "-nologo"], app, log, ct, nuget);
        return new Built(app, Path.Combine(app, "bin", "Release", "net10.0", "MyApp.dll"), nuget);
    }

    /// <summary>
    /// Packs the node program as the aio-node tool from <paramref name="repository"/> and runs docs/deployment.md's
    /// install command for it (read from the page) with a home folder and a NuGet cache of their own under
    /// <paramref name="workDirectory"/>, as on a fresh machine.
    /// </summary>
    /// <returns>The installed <c>aio-node</c> command.</returns>
    public static async Task<string> InstallToolAsync(string repository, string workDirectory, Action<string> log, CancellationToken ct)
    {
        var sources = Path.Combine(workDirectory, "src");
        var feed = Path.Combine(workDirectory, "feed");
        var home = Path.Combine(workDirectory, "home");
        Directory.CreateDirectory(home);
        await CopySourcesAsync(repository, sources, log, ct);
        await RunAsync("dotnet", ["pack", Path.Combine(sources, "AioProcessing.Node", "AioProcessing.Node.csproj"), "-c", "Release", "-o", feed, "-p:AioPackAsTool=true", "-p:AioLocalPack=true", "-nologo"], sources, log, ct);

        var page = File.ReadAllText(Path.Combine(sources, "docs", "deployment.md"));
        var install = page.Split('\n').First(line => line.StartsWith("dotnet tool install --global ", StringComparison.Ordinal))
            .Replace("/path/to/artifacts/packages", feed, StringComparison.Ordinal);
        var environment = EmptyNuGetCache(workDirectory);
        environment["HOME"] = home;
        environment["DOTNET_CLI_HOME"] = home;
        await RunAsync("bash", ["-euo", "pipefail", "-c", install], workDirectory, log, ct, environment);
        return Path.Combine(home, ".dotnet", "tools", "aio-node");
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

    // An empty package cache of its own under the work folder: everything is restored from the feed and nuget.org, as
    // on a fresh machine, and the packages packed here (at the repository's own version) never reach the user's cache.
    private static Dictionary<string, string> EmptyNuGetCache(string workDirectory) => new()
    {
        ["NUGET_PACKAGES"] = Path.Combine(workDirectory, "nuget", "packages"),
        ["NUGET_HTTP_CACHE_PATH"] = Path.Combine(workDirectory, "nuget", "http-cache"),
    };

    // The sources as git tracks them, as a clone would have them (with the working tree's contents).
    private static async Task CopySourcesAsync(string repository, string sources, Action<string> log, CancellationToken ct)
    {
        foreach (var file in (await RunAsync("git", ["ls-files"], repository, log, ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var target = Path.Combine(sources, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(repository, file), target);
        }
    }

    /// <summary>Runs <paramref name="file"/> to its end; its standard output, or an exception with both streams when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string directory, Action<string> log, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
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
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
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
