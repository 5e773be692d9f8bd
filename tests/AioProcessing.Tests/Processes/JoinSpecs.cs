using System.Diagnostics;
using AioProcessing.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace AioProcessing.Tests.Processes;

/// <summary>Processes that join a running coordinator with ConnectAsync: named primitives, their death, the coordinator's.</summary>
public sealed class JoinSpecs
{
    private readonly ITestOutputHelper _output;

    public JoinSpecs(ITestOutputHelper output) => _output = output;

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_joined_context_shares_named_primitives_and_gives_back_its_holds_when_disposed()
    {
        await using var coordinator = await AioContext.StartAsync();
        var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret);
        LockHandle handle;
        try
        {
            Assert.False(joined.IsCoordinator);
            handle = await new AioLock("migrations", joined).LockAsync(Bounds.Remote);
            Assert.False(handle.HoldLost.IsCancellationRequested);
            Assert.False(await new AioLock("migrations", coordinator).AcquireAsync(TimeSpan.Zero), "the coordinator's 'migrations' is not the joined process's");
            var ex = Assert.Throws<ArgumentException>(() => new AioEvent("migrations", coordinator));
            Assert.Contains("already belongs to a Lock", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            await joined.DisposeAsync();
        }

        Assert.True(handle.HoldLost.IsCancellationRequested, "disposing the context did not mark its holds lost");
        Assert.True(await new AioLock("migrations", coordinator).AcquireAsync(Bounds.Remote), "the departed process's lock was not given back");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Every_kind_of_primitive_can_be_found_by_name_from_a_joined_process()
    {
        await using var coordinator = await AioContext.StartAsync();
        await using var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret);

        var barrierHere = new AioBarrier("b", 2, context: coordinator);
        var arriving = barrierHere.WaitAsync(Bounds.Remote);
        Assert.InRange(await new AioBarrier("b", 2, context: joined).WaitAsync(Bounds.Remote), 0, 1);
        await arriving;

        new AioSimpleQueue<string>("sq", coordinator).Put("hello");
        Assert.Equal("hello", await new AioSimpleQueue<string>("sq", joined).GetAsync());

        var condition = new AioCondition("c", context: joined);
        using (condition.Lock())
        {
            Assert.False(await new AioCondition("c", context: coordinator).AcquireAsync(TimeSpan.Zero), "the condition's lock is not shared by name");
        }

        await new AioJoinableQueue<int>("jq", context: coordinator).PutAsync(1);
        Assert.Equal(1, await new AioJoinableQueue<int>("jq", context: joined).CountAsync());
        new AioBoundedSemaphore("s", 1, coordinator).Acquire();
        Assert.False(await new AioBoundedSemaphore("s", 1, joined).AcquireAsync(TimeSpan.Zero));
        new AioEvent("e", joined).Set();
        Assert.True(new AioEvent("e", coordinator).IsSet);
        Assert.Throws<ArgumentException>(() => new AioQueue<int>("e", context: coordinator));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Joining_with_a_wrong_secret_or_a_bad_address_is_refused_with_a_clear_exception()
    {
        await using var coordinator = await AioContext.StartAsync();
        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => AioContext.ConnectAsync(coordinator.Address, "not the secret"));
        Assert.Contains("wrong secret", refused.Message, StringComparison.Ordinal);
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => AioContext.ConnectAsync("localhost:1234", coordinator.Secret));
        Assert.Equal("address", bad.ParamName);
        Assert.Throws<ArgumentException>(() => new AioLock(" ", coordinator));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_lock_held_by_a_killed_program_that_joined_is_given_to_the_next_waiter()
    {
        await using var coordinator = await AioContext.StartAsync();
        await using var holder = await HoldInAnotherProgramAsync(coordinator, "held-by-host");
        var lck = new AioLock("held-by-host", coordinator);

        var waiting = lck.AcquireAsync(Bounds.Remote);
        var clock = Stopwatch.StartNew();
        await holder.KillAsync();
        Assert.True(await waiting, "the killed program's lock was never released");
        // Timing is the benchmark's business; this records it for the reader of the test log.
        _output.WriteLine($"released {clock.ElapsedMilliseconds} ms after the kill");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_frozen_program_that_joined_keeps_its_lock_through_short_silence_and_loses_it_to_the_failure_detector()
    {
        await using var coordinator = await AioContext.StartAsync();
        await using var holder = await HoldInAnotherProgramAsync(coordinator, "held-by-frozen");
        var lck = new AioLock("held-by-frozen", coordinator);

        // SIGSTOP: its connection stays open and nothing closes, only its heartbeats stop (a hung machine, a cut cable).
        await OsProcesses.SignalAsync(holder.Pid, "STOP");
        try
        {
            var clock = Stopwatch.StartNew();
            Assert.True(await lck.AcquireAsync(Bounds.Remote), "the frozen program's lock was never released");
            _output.WriteLine($"released {clock.ElapsedMilliseconds} ms after the freeze");
            // Heartbeat gaps of 2 s happen on a loaded machine; a live but slow holder must not lose its lock to them.
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(4), $"released after {clock.ElapsedMilliseconds} ms of silence, before the 5 s pause");
        }
        finally
        {
            await OsProcesses.SignalAsync(holder.Pid, "CONT");
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task When_the_coordinator_dies_waits_in_a_joined_process_throw_and_its_holds_are_marked_lost()
    {
        await using var host = await HostProcess.StartAsync("coordinator", "spec-secret");
        Assert.StartsWith("COORDINATOR ", host.FirstLine, StringComparison.Ordinal);
        await using var joined = await AioContext.ConnectAsync(host.FirstLine["COORDINATOR ".Length..], "spec-secret");
        var handle = await new AioLock("l", joined).LockAsync(Bounds.Remote);
        var waiting = new AioEvent("never-set", joined).WaitAsync();

        await host.KillAsync();
        var lost = await Assert.ThrowsAsync<CoordinatorLostException>(() => waiting.WaitAsync(Bounds.Remote));
        _output.WriteLine(lost.Message);
        Assert.True(handle.HoldLost.IsCancellationRequested);
        await Assert.ThrowsAsync<CoordinatorLostException>(() => new AioEvent("never-set-either", joined).WaitAsync(TimeSpan.FromSeconds(1)).WaitAsync(Bounds.Remote));
    }

    /// <summary>Starts a program that joins <paramref name="coordinator"/> and takes the lock <paramref name="name"/>; returns once it holds it.</summary>
    private static async Task<HostProcess> HoldInAnotherProgramAsync(AioContext coordinator, string name)
    {
        var holder = await HostProcess.StartAsync("hold", coordinator.Address, coordinator.Secret, name);
        try
        {
            Assert.Equal("HOLDING", holder.FirstLine);
            Assert.False(await new AioLock(name, coordinator).AcquireAsync(TimeSpan.Zero), $"'{name}' is not held by the other program");
            return holder;
        }
        catch
        {
            await holder.DisposeAsync();
            throw;
        }
    }
}
