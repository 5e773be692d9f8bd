using System.Runtime.Loader;
using AioProcessing.Node.Hosting;
using AioProcessing.Node.Worker;
using Akka.Actor;
using Akka.Configuration;

namespace AioProcessing.Node;

/// <summary>The worker node program: <c>dotnet exec AioProcessing.Node.dll --spawned</c>, bootstrap on stdin.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        StartupTrace.Mark("main");
        if (args is not ["--spawned"])
        {
            await Console.Error.WriteLineAsync("usage: dotnet exec AioProcessing.Node.dll --spawned   (bootstrap JSON on standard input)").ConfigureAwait(false);
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
