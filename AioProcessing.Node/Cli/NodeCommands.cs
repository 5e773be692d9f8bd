using System.CommandLine;
using System.Security.Cryptography;
using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using AioProcessing.Node.Hosting;
using AioProcessing.Node.Worker;
using Akka.Actor;
using Akka.Configuration;

namespace AioProcessing.Node.Cli;

/// <summary>
/// The node program's commands: <c>coordinator</c> runs a coordinator on its own, <c>join</c> serves a pool of a
/// running coordinator with some task slots, and <c>status</c> reports a coordinator's nodes, primitives and pools.
/// The secret always comes from the <c>AIO_SECRET</c> environment variable (or, for a new coordinator, is generated
/// into a file), never from the command line, where other users of the machine could read it.
/// </summary>
internal static class NodeCommands
{
    /// <summary>The environment variable that carries a coordinator's secret to the node program.</summary>
    public const string SecretVariable = "AIO_SECRET";

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Parses and runs one command. Kept out of the program's Main, and never inlined into it, so that a worker
    /// (<c>--spawned</c>) never loads System.CommandLine: the library's packages do not carry it as a dependency
    /// (it travels only with the ReadyToRun node and the tool), so it is absent beside a JIT-compiled node.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => Build(output, error).Parse(args).InvokeAsync();

    /// <summary>The program's name, as installed by the dotnet tool, in its usage and help.</summary>
    public const string ProgramName = "aio-node";

    // Not RootCommand: that names the program after the file it runs from (AioProcessing.Node), whatever it was
    // installed as. A command named aio-node with RootCommand's help and version options reads as the tool is called.
    public static Command Build(TextWriter output, TextWriter error)
    {
        var root = new Command(ProgramName, "AioProcessing node: run a coordinator, join one as a worker, or report its status.")
        {
            Options = { new System.CommandLine.Help.HelpOption(), new VersionOption() },
        };
        root.Subcommands.Add(CoordinatorCommand(output, error));
        root.Subcommands.Add(JoinCommand(output, error));
        root.Subcommands.Add(StatusCommand(output, error));
        return root;
    }

    private static Command CoordinatorCommand(TextWriter output, TextWriter error)
    {
        var host = new Option<string>("--host") { Description = "The address to bind. Loopback unless set; other machines can join only when it is reachable.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port to bind; 0 picks a free one.", DefaultValueFactory = _ => 0 };
        var system = new Option<string>("--system") { Description = "The actor system name shared with the nodes.", DefaultValueFactory = _ => AioNode.DefaultSystemName };
        var config = new Option<FileInfo?>("--config") { Description = "A HOCON file layered over the defaults (hocon/aio-node.conf)." };
        var secretFile = new Option<FileInfo?>("--secret-file") { Description = $"Where to write the generated secret (readable by its owner only) when {SecretVariable} is not set." };
        var command = new Command("coordinator", $"Run a coordinator until stopped (Ctrl+C or SIGTERM). Prints 'COORDINATOR <address>' once it listens. The secret is {SecretVariable}, or generated into --secret-file.")
        {
            host, port, system, config, secretFile,
        };
        command.SetAction(async (parse, ct) =>
        {
            var secret = Environment.GetEnvironmentVariable(SecretVariable);
            var file = parse.GetValue(secretFile);
            if (string.IsNullOrEmpty(secret))
            {
                if (file is null)
                {
                    await error.WriteLineAsync($"coordinator: set {SecretVariable}, or give --secret-file for a generated secret.").ConfigureAwait(false);
                    return 2;
                }

                secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
                WriteSecret(file.FullName, secret);
            }

            if (!TryLoadConfig(parse.GetValue(config), error, out var hocon))
            {
                return 2;
            }

            var settings = new AioNodeSettings(parse.GetValue(system)!, parse.GetValue(host)!, parse.GetValue(port), hocon);
            AioNode node;
            try
            {
                node = await AioNode.StartCoordinatorAsync(settings, secret, ct).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                await error.WriteLineAsync($"coordinator: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            await using var running = node;
            await output.WriteLineAsync($"COORDINATOR {node.Address}").ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }

    private static Command JoinCommand(TextWriter output, TextWriter error)
    {
        var coordinator = CoordinatorOption();
        var pool = new Option<string>("--pool") { Description = "The name of the pool to serve (created with new AioPool(name: ...)).", Required = true };
        var slots = new Option<int>("--slots") { Description = "How many tasks this node runs at once.", DefaultValueFactory = _ => 1 };
        var probe = new Option<DirectoryInfo[]>("--probe")
        {
            Description = "A folder holding AioProcessing.Api and the assemblies of the pool's functions (the application's output folder). Repeatable.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("join", $"Join a running coordinator as a worker node and serve a pool until the pool closes or the program is stopped. The secret is {SecretVariable}.")
        {
            coordinator, pool, slots, probe,
        };
        command.Aliases.Add("join-pool");
        command.SetAction(async (parse, ct) =>
        {
            if (!TryGetSecret(error, "join", out var secret))
            {
                return 2;
            }

            var slotCount = parse.GetValue(slots);
            if (slotCount < 1)
            {
                await error.WriteLineAsync($"join: --slots must be at least 1, not {slotCount}.").ConfigureAwait(false);
                return 2;
            }

            AssemblyProbe.Install(parse.GetValue(probe)!.Select(d => d.FullName).ToArray());
            IPoolServer? server = null;
            try
            {
                server = LoadPoolServer();
                return await server.ServeAsync(parse.GetValue(coordinator)!, secret, parse.GetValue(pool)!, slotCount, output, ct).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Whatever stops the node is reported, with a non-zero exit code.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                await error.WriteLineAsync($"join: {ex.Message}").ConfigureAwait(false);
                // Losing the coordinator while serving is not failing to start.
                return server?.IsCoordinatorLost(ex) == true ? WorkerExitCodes.CoordinatorLost : WorkerExitCodes.StartFailed;
            }
        });
        return command;
    }

    // The API references this program, so its assembly is found by name in the probe folders; what it serves with
    // is typed: the implementation its PoolServerAttribute names.
    private static IPoolServer LoadPoolServer()
    {
        var api = System.Reflection.Assembly.Load("AioProcessing.Api");
        var named = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<PoolServerAttribute>(api)
            ?? throw new InvalidOperationException($"{api.FullName} names no pool server ({nameof(PoolServerAttribute)}).");
        return Activator.CreateInstance(named.Implementation) as IPoolServer
            ?? throw new InvalidOperationException($"{named.Implementation} is not an {nameof(IPoolServer)}.");
    }

    private static Command StatusCommand(TextWriter output, TextWriter error)
    {
        var coordinator = CoordinatorOption();
        var command = new Command("status", $"Report a coordinator's nodes, primitives and pools. The secret is {SecretVariable}.") { coordinator };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryGetSecret(error, "status", out var secret))
            {
                return 2;
            }

            Address address;
            try
            {
                address = Address.Parse(parse.GetValue(coordinator)!);
            }
            catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
            {
                await error.WriteLineAsync($"status: '{parse.GetValue(coordinator)}' is not a coordinator address such as akka.tcp://aio@127.0.0.1:41234.").ConfigureAwait(false);
                return 2;
            }

            await using var node = await AioNode.StartAsync(new AioNodeSettings(address.System, Secret: secret), ct: ct).ConfigureAwait(false);
            try
            {
                var status = await QueryAsync(node.System, address, secret, ct).ConfigureAwait(false);
                // The query joins as a member to be answered; it is not one of the coordinator's nodes, so it is left out.
                var self = ((ExtendedActorSystem)node.System).Provider.DefaultAddress.ToString();
                await WriteStatusAsync(output, status with { Nodes = [.. status.Nodes.Where(n => n.Address != self)] }, ct).ConfigureAwait(false);
                return 0;
            }
            catch (Exception ex) when (ex is AskTimeoutException or InvalidOperationException)
            {
                // A coordinator with another secret refuses the connection itself: the node knows why, the ask does not.
                var why = Security.NodeSecrets.RefusedBy(node.System, address.Host!, address.Port ?? 0) is { } refused
                    ? $"the coordinator refused this node: {refused} (wrong secret)"
                    : ex.Message;
                await error.WriteLineAsync($"status: {why}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Joins the coordinator at <paramref name="address"/> with the secret, then asks it for its status.</summary>
    private static async Task<PrimitiveHost.Status> QueryAsync(ActorSystem system, Address address, string secret, CancellationToken ct)
    {
        var provider = ((ExtendedActorSystem)system).Provider;
        var manager = provider.ResolveActorRef(address + NodeManager.Path);
        var member = system.ActorOf(Props.Empty, "aio-status");
        var joined = await manager.Ask<object>(new NodeProtocol.Join(1, Environment.ProcessId, secret, member), AskTimeout, ct).ConfigureAwait(false);
        if (joined is WaitProtocol.Failed refused)
        {
            throw new InvalidOperationException(refused.Message);
        }

        return await manager.Ask<object>(new NodeProtocol.StatusQuery(2), AskTimeout, ct).ConfigureAwait(false) switch
        {
            PrimitiveHost.Status status => status,
            WaitProtocol.Failed failed => throw new InvalidOperationException(failed.Message),
            var other => throw new InvalidOperationException($"unexpected answer {other.GetType().Name}"),
        };
    }

    private static async Task WriteStatusAsync(TextWriter output, PrimitiveHost.Status status, CancellationToken ct)
    {
        await output.WriteLineAsync($"NODES {status.Nodes.Length}").ConfigureAwait(false);
        foreach (var node in status.Nodes)
        {
            await output.WriteLineAsync($"  {node.Role,-12} pid {node.Pid,-8} {node.Address}").ConfigureAwait(false);
        }

        await output.WriteLineAsync($"PRIMITIVES {status.Primitives.Length}").ConfigureAwait(false);
        foreach (var group in status.Primitives.GroupBy(p => p.Kind).OrderBy(g => g.Key))
        {
            var names = group.Where(p => p.Name is not null).Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
            await output.WriteLineAsync($"  {group.Key,-16} {group.Count(),5}{(names.Length > 0 ? "  named: " + string.Join(", ", names) : "")}").ConfigureAwait(false);
        }

        var pools = status.Primitives.Where(p => p.Kind == PrimitiveHost.Kind.Pool).ToArray();
        await output.WriteLineAsync($"POOLS {pools.Length}").ConfigureAwait(false);
        var id = 10L;
        foreach (var pool in pools)
        {
            var load = await pool.Actor.Ask<object>(new PoolActor.Load(++id), AskTimeout, ct).ConfigureAwait(false);
            var text = load is PoolActor.LoadReply l
                ? $"pending {l.PendingTasks} running {l.RunningTasks} idle-workers {l.IdleWorkers}{(l.Closing ? " closing" : "")}"
                : "unavailable";
            await output.WriteLineAsync($"  {pool.Name ?? pool.Actor.Path.Name,-24} {text}").ConfigureAwait(false);
        }
    }

    private static Option<string> CoordinatorOption() =>
        new("--coordinator") { Description = "The coordinator's address, e.g. akka.tcp://aio@127.0.0.1:41234.", Required = true };

    private static bool TryGetSecret(TextWriter error, string command, out string secret)
    {
        secret = Environment.GetEnvironmentVariable(SecretVariable) ?? "";
        if (secret.Length > 0)
        {
            return true;
        }

        error.WriteLine($"{command}: set {SecretVariable} to the coordinator's secret (it is never taken from the command line).");
        return false;
    }

    private static bool TryLoadConfig(FileInfo? file, TextWriter error, out Config? config)
    {
        config = null;
        if (file is null)
        {
            return true;
        }

        try
        {
            config = ConfigurationFactory.ParseString(File.ReadAllText(file.FullName));
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error.WriteLine($"coordinator: cannot read --config {file.FullName}: {ex.Message}");
            return false;
        }
    }

    // Created readable by its owner only; an existing file is replaced.
    private static void WriteSecret(string path, string secret)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options);
        writer.Write(secret);
    }
}
