using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using AioProcessing.Node.Lane;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;

namespace AioProcessing.Node.Worker;

/// <summary>
/// The worker side of a node, at <c>/user/aio-worker</c>: registers with the coordinator, runs the target it is
/// handed on a dedicated thread (so blocking facades never starve the thread pool Akka runs on), and hands its
/// outcome to <see cref="WorkerExit"/>, which reports it to the owner once the target's foreground threads are done.
/// </summary>
public sealed class WorkerNode : ReceiveActor, IWithTimers
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "aio-worker";

    // Registration is repeated until the coordinator answers: a first association that failed (its handshake timed
    // out, and Akka dropped what was queued on it) must not leave the worker waiting out its start timeout.
    private static readonly TimeSpan RegisterRepeat = TimeSpan.FromSeconds(1);

    private readonly WorkerEnvironment _environment;
    private readonly ITargetExecutor _executor;
    private readonly WorkerExit _exit;
    private readonly TimeSpan _reportTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _running;

    /// <summary>Creates the worker actor.</summary>
    public WorkerNode(WorkerEnvironment environment, ITargetExecutor executor, WorkerExit exit, TimeSpan reportTimeout)
    {
        _environment = environment;
        _executor = executor;
        _exit = exit;
        _reportTimeout = reportTimeout;
        Receive<NodeProtocol.RunTarget>(OnRun);
        Receive<NodeProtocol.WorkerAdmitted>(_ => Timers.Cancel(RegisterAgain.Instance));
        Receive<Prepared>(_ => StartRegistering());
        Receive<RegisterAgain>(_ => Register());
        Receive<NodeProtocol.WorkerRejected>(m =>
        {
            Timers.Cancel(RegisterAgain.Instance);
            Console.Error.WriteLine($"AioProcessing worker {environment.Bootstrap.NodeId}: the coordinator refused this node: {m.Reason}");
            _exit.End(WorkerExitCodes.Rejected);
        });
        Receive<DisassociatedEvent>(m => m.RemoteAddress == environment.Coordinator, _ =>
        {
            // With a lane open, the lane's closing is the coordinator's end, or its verdict that this process is dead;
            // Akka.Remote also drops the association of two live processes, and associates again on the next message.
            if (LaneClient.IsOpen(Context.System, environment.Coordinator))
            {
                _log.Debug("The association with coordinator {0} dropped; its lane is open.", environment.Coordinator);
                return;
            }

            _log.Warning("The connection to coordinator {0} dropped; worker exits.", environment.Coordinator);
            _exit.EndNow(WorkerExitCodes.CoordinatorLost);
        });
        Receive<DisassociatedEvent>(_ => { });
        Receive<LaneClient.Closed>(m => m.Coordinator == environment.Coordinator, m =>
        {
            _log.Warning("The lane to coordinator {0} closed ({1}); worker exits.", environment.Coordinator, m.Why);
            _exit.EndNow(WorkerExitCodes.CoordinatorLost);
        });
        Receive<LaneClient.Closed>(_ => { });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the worker actor.</summary>
    public static Props Props(WorkerEnvironment environment, ITargetExecutor executor, WorkerExit exit, TimeSpan reportTimeout) =>
        Akka.Actor.Props.Create(() => new WorkerNode(environment, executor, exit, reportTimeout));

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (!_environment.Bootstrap.Ready)
        {
            // A process waits for this node: register now. Its target's first run compiles what Prepare would have;
            // preparing beside the association only competed with it for the CPU (cold start 6% slower on 2 cores).
            StartRegistering();
            return;
        }

        // A node launched ahead of need joins once it is prepared: the start that takes it then runs its target on
        // compiled code, instead of racing the preparation for it (warm start 57-67 ms that way, not 30).
        var (environment, executor, log, self) = (_environment, _executor, _log, Self);
        _ = Task.Run(() =>
        {
            try
            {
                executor.Prepare(environment);
                StartupTrace.Mark("executor prepared");
            }
#pragma warning disable CA1031 // Preparing is an optimisation; Run reports any real problem.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                log.Warning("Preparing the target executor failed: {0}", ex.Message);
            }

            self.Tell(Prepared.Instance);
        });
    }

    private void StartRegistering()
    {
        Register();
        Timers.StartPeriodicTimer(RegisterAgain.Instance, RegisterAgain.Instance, RegisterRepeat);
    }

    private void Register() =>
        Context.ActorSelection(_environment.Coordinator + NodeManager.Path)
            .Tell(new NodeProtocol.RegisterWorker(_environment.Bootstrap.NodeId, Environment.ProcessId, _environment.Bootstrap.Secret, Self));

    private void OnRun(NodeProtocol.RunTarget run)
    {
        Timers.Cancel(RegisterAgain.Instance);
        if (_running)
        {
            _log.Warning("Ignoring a second target for node {0}.", run.NodeId);
            return;
        }

        _running = true;
        StartupTrace.Mark("target received");
        IdleTrim.NoteTargetStarted();
        // The coordinator handed us the target: from now on its loss means ours. It is this node's parent on the same
        // host, so its lane closing says so, or without a lane its connection dropping (its death also closes our
        // standard input, see Program), and no DeathWatch: that would make this node heartbeat the coordinator every
        // second on top of the coordinator's heartbeats to it.
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(LaneClient.Closed));
        var thread = new Thread(() => RunTarget(run)) { Name = "aio-target", IsBackground = true };
        thread.Start();
    }

    private void RunTarget(NodeProtocol.RunTarget run)
    {
        TargetOutcome outcome;
        StartupTrace.Mark("target thread started");
        try
        {
            outcome = _executor.Run(_environment, run);
        }
#pragma warning disable CA1031 // Whatever the executor throws becomes the target's error report.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            outcome = new TargetOutcome(1, new NodeProtocol.RemoteError(ex.GetType().FullName ?? ex.GetType().Name, ex.Message, ex.StackTrace ?? ""));
        }

        StartupTrace.Mark("target returned");
        var (executor, environment, reportTimeout) = (_executor, _environment, _reportTimeout);
        _exit.TargetReturned(outcome.ExitCode, () =>
        {
            try
            {
                executor.Finish(environment);
                run.Owner.Ask<WaitProtocol.Ack>(new NodeProtocol.TargetExited(run.NodeId, outcome.ExitCode, outcome.Error), reportTimeout)
                    .Wait(reportTimeout + TimeSpan.FromSeconds(1));
            }
#pragma warning disable CA1031 // A lost report still ends the process; the owner then reads the OS exit code.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Console.Error.WriteLine($"AioProcessing worker {run.NodeId}: exit report was not acknowledged: {ex.Message}");
            }
        });
    }

    private sealed class Prepared
    {
        public static readonly Prepared Instance = new();
    }

    private sealed class RegisterAgain
    {
        public static readonly RegisterAgain Instance = new();
    }
}
