using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Cli;

/// <summary>
/// The node program's command line, run as separate OS processes over loopback: a coordinator started by hand, a
/// worker node joined to it by hand, and a program that connects to the coordinator and runs a pool on that node.
/// </summary>
public sealed class NodeCommandLineSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task A_coordinator_and_a_worker_started_by_hand_run_a_pool_and_report_status()
    {
        var secretFile = Path.Combine(Path.GetTempPath(), $"aio-secret-{Guid.NewGuid():N}");
        await using var coordinator = ChildProgram.Start(null, "coordinator", "--secret-file", secretFile);
        try
        {
            var listening = await coordinator.ReadLineAsync() ?? throw new InvalidOperationException("coordinator ended: " + coordinator.Error);
            Assert.StartsWith("COORDINATOR akka.tcp://aio@127.0.0.1:", listening, StringComparison.Ordinal);
            var address = listening["COORDINATOR ".Length..];
            var secret = await File.ReadAllTextAsync(secretFile);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
            }

            // The program that uses the pool joins the coordinator too; the pool has no processes of its own.
            await using var client = await AioContext.ConnectAsync(address, secret);
            await using var pool = new AioPool(0, context: client, name: "by-cli");
            await using var worker = ChildProgram.Start(secret, "join", "--coordinator", address, "--pool", "by-cli", "--slots", "2", "--probe", AppContext.BaseDirectory);
            Assert.Equal("SERVING by-cli 2", await worker.ReadLineAsync());

            var pids = await pool.MapAsync(Twice, Enumerable.Range(1, 20), chunksize: 3);
            Assert.Equal(Enumerable.Range(1, 20).Select(i => 2 * i), pids);
            // Two slots: two tasks of one node run at once, or this barrier of two parties would break.
            var meeting = new AioBarrier(2, context: client);
            var met = await Task.WhenAll(pool.ApplyAsync<int>(MeetInOtherSlot, [meeting]), pool.ApplyAsync<int>(MeetInOtherSlot, [meeting]));
            Assert.Equal([worker.Pid, worker.Pid], met);

            await using var status = ChildProgram.Start(secret, "status", "--coordinator", address);
            var (report, code) = await status.CompleteAsync();
            Assert.True(code == 0, $"status exited {code}: {status.Error}");
            Assert.Contains($"coordinator  pid {coordinator.Pid}", report, StringComparison.Ordinal);
            Assert.Contains($"joined       pid {worker.Pid}", report, StringComparison.Ordinal);
            Assert.Contains($"joined       pid {Environment.ProcessId}", report, StringComparison.Ordinal);
            Assert.Contains("NODES 3\n", report, StringComparison.Ordinal);   // the status query itself is not listed
            Assert.DoesNotContain($"pid {status.Pid} ", report, StringComparison.Ordinal);
            Assert.Matches(@"\n  by-cli\s+pending 0 running 0 idle-workers 2", report);
            Assert.Matches(@"\n  Barrier\s+1", report);
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_joined_worker_node_exits_within_five_seconds_of_its_coordinators_death()
    {
        const string secret = "coordinator-loss-spec";
        await using var coordinator = ChildProgram.Start(secret, "coordinator");
        var address = (await coordinator.ReadLineAsync())!["COORDINATOR ".Length..];
        await using (var client = await AioContext.ConnectAsync(address, secret))
        {
            await using var pool = new AioPool(0, context: client, name: "orphaned");
            await using var worker = ChildProgram.Start(secret, "join", "--coordinator", address, "--pool", "orphaned", "--probe", AppContext.BaseDirectory);
            Assert.Equal("SERVING orphaned 1", await worker.ReadLineAsync());

            await coordinator.KillAsync();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (_, code) = await worker.CompleteAsync();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the worker node took {clock.Elapsed.TotalSeconds:0.0} s to exit");
            Assert.True(code == 71, $"the worker node exited {code}, not 71 (coordinator lost)");
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Status_with_a_wrong_secret_is_refused_by_the_coordinator()
    {
        await using var context = await AioContext.StartAsync();
        await using var status = ChildProgram.Start("not-the-secret", "status", "--coordinator", context.Address);
        var (output, code) = await status.CompleteAsync();
        Assert.Equal(1, code);
        Assert.DoesNotContain("NODES", output, StringComparison.Ordinal);
        Assert.Contains("wrong secret", status.Error, StringComparison.Ordinal);
    }

    [Theory(Timeout = Bounds.Spec)]
    [InlineData(null, new[] { "coordinator" }, "set AIO_SECRET, or give --secret-file")]
    [InlineData(null, new[] { "join", "--coordinator", "akka.tcp://aio@127.0.0.1:1", "--pool", "p", "--probe", "." }, "set AIO_SECRET")]
    [InlineData("s", new[] { "join", "--coordinator", "akka.tcp://aio@127.0.0.1:1", "--pool", "p", "--probe", ".", "--slots", "0" }, "--slots must be at least 1, not 0")]
    [InlineData("s", new[] { "join", "--coordinator", "akka.tcp://aio@127.0.0.1:1", "--probe", "." }, "Option '--pool' is required")]
    [InlineData("s", new[] { "status", "--coordinator", "nonsense" }, "'nonsense' is not a coordinator address")]
    public async Task Bad_command_lines_end_with_a_message_that_names_the_problem(string? secret, string[] args, string message)
    {
        await using var program = ChildProgram.Start(secret, args);
        var (_, code) = await program.CompleteAsync();
        Assert.NotEqual(0, code);
        Assert.Contains(message, program.Error, StringComparison.Ordinal);
    }

    private static int Twice(int x) => 2 * x;

    private static int MeetInOtherSlot(AioBarrier meeting)
    {
        meeting.Wait(TimeSpan.FromSeconds(20));
        return Environment.ProcessId;
    }
}
