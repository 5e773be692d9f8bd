using AioProcessing.Node.Cli;
using AioProcessing.Node.Hosting;
using AioProcessing.Node.Worker;
using Akka.Actor;
using Akka.Configuration;

namespace AioProcessing.Node;

/// <summary>
/// The node program. <c>--spawned</c>: a worker started by <c>AioProcess</c>, bootstrap on standard input (kept off
/// the command-line parser: it is on every worker's start-up path). Anything else is a command for a person:
/// <c>coordinator</c>, <c>join</c> and <c>status</c> (see <see cref="NodeCommands"/>).
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        StartupTrace.Mark("main");
        if (args is not ["--spawned"])
        {
            // Started by a person (or a script): the commands. Ctrl+C and SIGTERM cancel the running one.
            return await NodeCommands.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
        }

        // First, so that it has the second core to itself while this thread reads the bootstrap.
        WorkerWarmUp.Start();
        // Before any DotNetty class takes its logger from the factory.
        WorkerNettyLog.TurnOffUnlessDebugging();

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
        var exit = new WorkerExit();
        WatchParent(stdin, exit);
        AssemblyProbe.Install(bootstrap.ProbeDirectories);
        return await RunAsync(bootstrap, exit).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(WorkerBootstrap bootstrap, WorkerExit exit)
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
        var node = await AioNode.StartAsync(new AioNodeSettings(coordinator.System, Config: config, Secret: bootstrap.Secret)).ConfigureAwait(false);
        StartupTrace.Mark("node started");
        var reportTimeout = node.System.Settings.Config.GetTimeSpan("aio.node.exit-report-timeout");
        using var idleTrim = IdleTrim.Start(node.System.Settings.Config);
        var environment = new WorkerEnvironment(node.System, coordinator, bootstrap);
        node.System.ActorOf(WorkerNode.Props(environment, executor, exit, reportTimeout), WorkerNode.Name);
        var code = await exit.Code.ConfigureAwait(false);
        if (exit.ReportsAtExit)
        {
            // The target returned. As Python's child, the process waits for the foreground threads the target
            // started: the runtime does that once Main returns, and then raises ProcessExit, where the outcome is
            // reported (so the parent's Join waits for those threads too) and the node stops.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                exit.ReportIfDue();
                StartupTrace.Mark("exit reported");
                // A quick, bounded shutdown lets the coordinator see a clean disassociation.
                node.StopAsync(TimeSpan.FromSeconds(2)).Wait(TimeSpan.FromSeconds(3));
            };
            return code;
        }

        await node.StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        Environment.Exit(code);
        return code;
    }

    // The parent keeps our standard input open for our whole life; end of input means it is gone, however it died.
    private static void WatchParent(StreamReader stdin, WorkerExit exit)
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

            exit.EndNow(WorkerExitCodes.ParentLost);
            Environment.Exit(WorkerExitCodes.ParentLost);
        })
        { IsBackground = true, Name = "aio-parent-watch" };
        thread.Start();
    }
}
