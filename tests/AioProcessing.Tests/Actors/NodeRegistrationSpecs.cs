using AioProcessing.Actors.Nodes;
using AioProcessing.Node.Worker;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

/// <summary>
/// A worker's registration survives a lost first message: the worker repeats it until the coordinator answers, and
/// the coordinator admits a repeat instead of refusing it.
/// </summary>
public sealed class NodeRegistrationSpecs : TestKit
{
    private const string Secret = "spec-secret";

    [Fact]
    public void The_manager_admits_a_repeated_registration_again_and_hands_the_target_once()
    {
        var manager = Sys.ActorOf(NodeManager.Props(Secret));
        var owner = CreateTestProbe();
        var worker = CreateTestProbe();
        var run = new NodeProtocol.RunTarget("node-1", "Process-1", [1, 2, 3], owner.Ref);
        manager.Tell(new NodeProtocol.ExpectWorker("node-1", run));

        manager.Tell(new NodeProtocol.RegisterWorker("node-1", 4242, Secret, worker.Ref));
        worker.ExpectMsg(new NodeProtocol.WorkerAdmitted("node-1"));
        Assert.Same(run, worker.ExpectMsg<NodeProtocol.RunTarget>());
        owner.ExpectMsg<NodeProtocol.WorkerUp>(m => Assert.Equal(4242, m.Pid));

        // The repeat a worker sends before the answer reached it.
        manager.Tell(new NodeProtocol.RegisterWorker("node-1", 4242, Secret, worker.Ref));
        worker.ExpectMsg(new NodeProtocol.WorkerAdmitted("node-1"));
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        owner.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // Another actor claiming the same node id is still refused: only the admitted worker may repeat.
        var impostor = CreateTestProbe();
        manager.Tell(new NodeProtocol.RegisterWorker("node-1", 4343, Secret, impostor.Ref));
        impostor.ExpectMsg<NodeProtocol.WorkerRejected>();
    }

    [Fact]
    public void A_worker_repeats_its_registration_until_the_coordinator_admits_it()
    {
        // The coordinator's node manager, as the worker finds it by path, is this spec's probe.
        var coordinator = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new Forwarder(coordinator.Ref)), NodeManager.Name);
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        var bootstrap = new WorkerBootstrap(address.ToString(), "node-7", Secret, "unused", [], null);
        var exit = new WorkerExit();
        var running = System.Diagnostics.Stopwatch.StartNew();
        Sys.ActorOf(WorkerNode.Props(new WorkerEnvironment(Sys, address, bootstrap), new IdleExecutor(), exit, TimeSpan.FromSeconds(5)), WorkerNode.Name);

        // The first registration is lost (nobody answers it); the worker says it again, about a second later.
        var first = coordinator.ExpectMsg<NodeProtocol.RegisterWorker>(TimeSpan.FromSeconds(5));
        Assert.Equal(("node-7", Secret), (first.NodeId, first.Secret));
        var again = coordinator.ExpectMsg<NodeProtocol.RegisterWorker>(TimeSpan.FromSeconds(3));
        Assert.Equal(first.Worker, again.Worker);

        // Once admitted it stops repeating, and keeps waiting for its target. Repeats sent before the answer may
        // still be in flight: at most one a second since the worker started (a loaded machine stalls this spec),
        // less the two received, plus one leaving as the answer arrives.
        again.Worker.Tell(new NodeProtocol.WorkerAdmitted("node-7"));
        var mayBeInFlight = Math.Max(1, (int)running.Elapsed.TotalSeconds);
        var inFlight = coordinator.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as NodeProtocol.RegisterWorker);
        Assert.True(inFlight.Count <= mayBeInFlight, $"{inFlight.Count} repeats after the answer, {running.ElapsedMilliseconds} ms after the worker started");
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(2500));
        Assert.False(exit.Code.IsCompleted);
    }

    [Fact]
    public void A_node_launched_ahead_of_need_registers_only_once_its_executor_is_prepared()
    {
        var coordinator = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new Forwarder(coordinator.Ref)), NodeManager.Name);
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        var bootstrap = new WorkerBootstrap(address.ToString(), "node-8", Secret, "unused", [], null, Ready: true);
        using var executor = new GatedExecutor();
        Sys.ActorOf(WorkerNode.Props(new WorkerEnvironment(Sys, address, bootstrap), executor, new WorkerExit(), TimeSpan.FromSeconds(5)), WorkerNode.Name);

        // While it prepares it is not ready, so it does not say it is: a start that took it would wait on the
        // preparation (or race it) instead of finding the path compiled.
        Assert.True(executor.PrepareEntered.Wait(TimeSpan.FromSeconds(5)), "the ready node never began to prepare");
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        executor.ReleasePrepare.Set();
        var registered = coordinator.ExpectMsg<NodeProtocol.RegisterWorker>(TimeSpan.FromSeconds(5));
        Assert.Equal("node-8", registered.NodeId);
        Assert.Equal(1, executor.Prepares);
    }

    [Fact]
    public void A_node_launched_for_a_waiting_process_registers_at_once_and_runs_its_target_unprepared()
    {
        var coordinator = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new Forwarder(coordinator.Ref)), NodeManager.Name);
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        var bootstrap = new WorkerBootstrap(address.ToString(), "node-9", Secret, "unused", [], null);
        using var executor = new GatedExecutor();
        var exit = new WorkerExit();
        Sys.ActorOf(WorkerNode.Props(new WorkerEnvironment(Sys, address, bootstrap), executor, exit, TimeSpan.FromSeconds(5)), WorkerNode.Name);

        // Registered though Prepare is held (it would never return): the node does not prepare at all.
        var registered = coordinator.ExpectMsg<NodeProtocol.RegisterWorker>(TimeSpan.FromSeconds(5));
        registered.Worker.Tell(new NodeProtocol.WorkerAdmitted("node-9"));
        registered.Worker.Tell(new NodeProtocol.RunTarget("node-9", "Process-9", [], CreateTestProbe().Ref));
        Assert.True(executor.RunEntered.Wait(TimeSpan.FromSeconds(5)), "the target never ran");
        Assert.Equal(0, executor.Prepares);
    }

    [Fact]
    public void A_bootstrap_line_carries_whether_the_node_was_launched_ahead_of_need()
    {
        foreach (var ready in new[] { true, false })
        {
            var sent = new WorkerBootstrap("akka.tcp://aio@127.0.0.1:1", "node", "se\tcret", "Some.Type, Some", ["/a", "/b"], "a = 1", ready);
            var received = WorkerBootstrap.FromLine(sent.ToLine());
            Assert.Equal(ready, received.Ready);
            Assert.Equal((sent.Coordinator, sent.NodeId, sent.Secret, sent.ExecutorType, sent.Config), (received.Coordinator, received.NodeId, received.Secret, received.ExecutorType, received.Config));
            Assert.Equal(sent.ProbeDirectories, received.ProbeDirectories);
        }

        var sixFields = string.Join('\t', Enumerable.Repeat(Convert.ToBase64String("x"u8.ToArray()), 6));
        Assert.Contains("6 fields, not 7", Assert.Throws<InvalidDataException>(() => WorkerBootstrap.FromLine(sixFields)).Message, StringComparison.Ordinal);
    }

    private sealed class GatedExecutor : ITargetExecutor, IDisposable
    {
        private int _prepares;

        public ManualResetEventSlim PrepareEntered { get; } = new();

        public ManualResetEventSlim ReleasePrepare { get; } = new();

        public ManualResetEventSlim RunEntered { get; } = new();

        public int Prepares => Volatile.Read(ref _prepares);

        public void Prepare(WorkerEnvironment environment)
        {
            Interlocked.Increment(ref _prepares);
            PrepareEntered.Set();
            ReleasePrepare.Wait(TimeSpan.FromSeconds(30));
        }

        public TargetOutcome Run(WorkerEnvironment environment, NodeProtocol.RunTarget run)
        {
            RunEntered.Set();
            return new(0, null);
        }

        public void Dispose()
        {
            ReleasePrepare.Set();
            PrepareEntered.Dispose();
            RunEntered.Dispose();
        }
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(m => to.Forward(m));
    }

    private sealed class IdleExecutor : ITargetExecutor
    {
        public void Prepare(WorkerEnvironment environment)
        {
        }

        public TargetOutcome Run(WorkerEnvironment environment, NodeProtocol.RunTarget run) => new(0, null);
    }
}
