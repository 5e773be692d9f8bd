using System.Runtime.Loader;
using AioProcessing.Node.Hosting;
using AioProcessing.Node.Worker;
using Akka.Actor;
using Akka.Configuration;

namespace AioProcessing.Node;

/// <summary>
/// The node program. <c>--spawned</c>: a worker started by <c>AioProcess</c>, bootstrap on standard input.
/// <c>join-pool --coordinator ADDRESS --pool NAME --probe DIR...</c>: a worker started by hand, on this machine or
/// another, that joins a running coordinator (secret in the <c>AIO_SECRET</c> environment variable, never on the
/// command line) and serves the named pool; the probe folders hold AioProcessing.Api and the pool's functions.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: dotnet exec AioProcessing.Node.dll --spawned                      (bootstrap on standard input)
               dotnet exec AioProcessing.Node.dll join-pool --coordinator ADDRESS --pool NAME --probe DIR [--probe DIR ...]
                                                                                 (secret in AIO_SECRET)
        """;

    private static async Task<int> Main(string[] args)
    {
        StartupTrace.Mark("main");
        if (args is ["join-pool", ..])
        {
            return await JoinPoolAsync(args[1..]).ConfigureAwait(false);
        }

        if (args is not ["--spawned"])
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        // Standard input as a plain stream: System.Console's reader would set up terminal handling we do not need.
        var stdin = new StreamReader(Console.OpenStandardInput(), System.Text.Encoding.UTF8);
        WorkerBootstrap bootstrap;
        try
        {
            var line = await stdin.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidDataException("no bootstrap line on standard input");
            bootstrap = WorkerBootstrap.FromLine(line);
        }
#pragma warning disable CA1031 // Any failure to read the bootstrap ends the worker with a message.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync("AioProcessing worker: bad bootstrap: " + ex.Message).ConfigureAwait(false);
            return WorkerExitCodes.StartFailed;
        }

        StartupTrace.Mark("bootstrap read");
        WatchParent(stdin);
        ProbeForAssemblies(bootstrap.ProbeDirectories);
        return await RunAsync(bootstrap).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(WorkerBootstrap bootstrap)
    {
        ITargetExecutor executor;
        try
        {
            var type = Type.GetType(bootstrap.ExecutorType, throwOnError: true)!;
            executor = (ITargetExecutor)Activator.CreateInstance(type)!;
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"AioProcessing worker: cannot load executor '{bootstrap.ExecutorType}': {ex.Message}").ConfigureAwait(false);
            return WorkerExitCodes.StartFailed;
        }

        StartupTrace.Mark("executor loaded");
        var coordinator = Address.Parse(bootstrap.Coordinator);
        var config = bootstrap.Config is null ? null : ConfigurationFactory.ParseString(bootstrap.Config);
        await using var node = await AioNode.StartAsync(new AioNodeSettings(coordinator.System, Config: config)).ConfigureAwait(false);
        StartupTrace.Mark("node started");
        var exit = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reportTimeout = node.System.Settings.Config.GetTimeSpan("aio.node.exit-report-timeout");
        var environment = new WorkerEnvironment(node.System, coordinator, bootstrap);
        node.System.ActorOf(WorkerNode.Props(environment, executor, exit, reportTimeout), WorkerNode.Name);
        var code = await exit.Task.ConfigureAwait(false);
        StartupTrace.Mark("exit reported");
        // The report is acknowledged; a quick, bounded shutdown lets the coordinator see a clean disassociation.
        await node.StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        Environment.Exit(code);
        return code;
    }

    private static async Task<int> JoinPoolAsync(string[] args)
    {
        string? coordinator = null, pool = null;
        var probes = new List<string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--coordinator": coordinator = args[i + 1]; break;
                case "--pool": pool = args[i + 1]; break;
                case "--probe": probes.Add(Path.GetFullPath(args[i + 1])); break;
                default:
                    await Console.Error.WriteLineAsync($"unknown option '{args[i]}'{Environment.NewLine}{Usage}").ConfigureAwait(false);
                    return 2;
            }
        }

        var secret = Environment.GetEnvironmentVariable("AIO_SECRET");
        if (coordinator is null || pool is null || probes.Count == 0 || args.Length % 2 != 0 || string.IsNullOrEmpty(secret))
        {
            await Console.Error.WriteLineAsync($"join-pool needs --coordinator, --pool, at least one --probe, and the secret in AIO_SECRET.{Environment.NewLine}{Usage}").ConfigureAwait(false);
            return 2;
        }

        ProbeForAssemblies(probes);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            // The Api is not referenced at compile time (it references this program); its entry point is found by name.
            var entry = Type.GetType("AioProcessing.Internal.PoolNode, AioProcessing.Api", throwOnError: true)!
                .GetMethod("ServeAsync", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public)!;
            return await ((Task<int>)entry.Invoke(null, [coordinator, secret, pool, stop.Token])!).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever stops the node is reported, with a non-zero exit code.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"AioProcessing node: {(ex as System.Reflection.TargetInvocationException)?.InnerException?.Message ?? ex.Message}").ConfigureAwait(false);
            return WorkerExitCodes.StartFailed;
        }
    }

    // The parent keeps our standard input open for our whole life; end of input means it is gone, however it died.
    private static void WatchParent(StreamReader stdin)
    {
        var thread = new Thread(() =>
        {
            try
            {
                while (stdin.ReadLine() is not null)
                {
                }
            }
            catch (IOException)
            {
            }

            Environment.Exit(WorkerExitCodes.ParentLost);
        })
        { IsBackground = true, Name = "aio-parent-watch" };
        thread.Start();
    }

    private static void ProbeForAssemblies(IReadOnlyList<string> directories) =>
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            foreach (var dir in directories)
            {
                var candidate = Path.Combine(dir, name.Name + ".dll");
                if (File.Exists(candidate))
                {
                    return context.LoadFromAssemblyPath(candidate);
                }
            }

            return null;
        };
}
