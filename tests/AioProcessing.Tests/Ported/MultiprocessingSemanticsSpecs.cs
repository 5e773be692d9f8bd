using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Ported;

/// <summary>
/// Where Python programs rely on multiprocessing's exact behaviour (CPython's own test suite's expectations, in the
/// .NET shape of docs/mapping.md), over real processes.
/// </summary>
public sealed class MultiprocessingSemanticsSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public MultiprocessingSemanticsSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task Closing_the_parents_copy_of_an_end_given_to_a_child_leaves_the_childs_copy_open_until_it_closes_it_too()
    {
        // The everyday Python pattern: start a child with one end, then close the parent's copy of that end.
        var (conn, child) = await AioPipe.CreateAsync(context: _context);
        var p = new AioProcess(_context, EchoThenClose, child);
        await p.StartAsync();
        await child.CloseAsync();
        conn.SendBytes("hello"u8.ToArray());
        Assert.Equal("hello"u8.ToArray(), conn.RecvBytes(timeout: Bounds.Remote));

        // The child closed its copy too: now the end is closed for good, and this end reads the end of the stream.
        Assert.Throws<EndOfStreamException>(() => conn.RecvBytes(timeout: Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);

        // As with a broken pipe: a send after that may still return (puts are written behind, and this end may not
        // have heard yet that the other is gone) or may already fail; either way sends fail from then on.
        var sends = 0;
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            conn.SendBytes([1]);
            while (sends++ < 1000)
            {
                await conn.SendBytesAsync([2]);
                await Task.Delay(5);
            }
        });
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task An_end_held_only_by_a_child_closes_when_the_child_dies()
    {
        var (conn, child) = await AioPipe.CreateAsync(context: _context);
        var release = new AioEvent(_context);
        var p = new AioProcess(_context, HoldUntilSet, child, release);
        await p.StartAsync();
        await child.CloseAsync();
        conn.Send(1);
        Assert.Equal(2, conn.Recv<int>(Bounds.Remote));
        Assert.False(conn.Poll(TimeSpan.FromMilliseconds(100)), "the end closed while the child still held it");
        p.Kill();
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Throws<EndOfStreamException>(() => conn.Recv<int>(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_value_sent_is_received_as_its_bytes_and_bytes_relayed_by_another_process_are_received_as_the_value()
    {
        var (parent, child) = await AioPipe.CreateAsync(context: _context);
        parent.Send(new object?[] { 1, 2.25, null });
        var raw = child.RecvBytes(timeout: Bounds.Remote);
        var into = new byte[raw.Length + 8];
        child.SendBytes(raw);
        Assert.Equal(raw.Length, parent.RecvBytesInto(into, 8, Bounds.Remote));
        parent.SendBytes(into, 8, raw.Length);
        Assert.Equal(new object?[] { 1, 2.25, null }, child.Recv<object?[]>(Bounds.Remote));

        // A process that relays what it receives as bytes, without knowing the type.
        var relay = new AioProcess(_context, RelayOnce, child);
        await relay.StartAsync();
        await parent.SendAsync("through a relay");
        Assert.Equal("through a relay", await parent.RecvAsync<string>(Bounds.Remote));
        Assert.True(await relay.JoinAsync(Bounds.Remote));
        Assert.Equal(0, relay.ExitCode);
    }

    [Theory(Timeout = Bounds.Spec)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    [InlineData(150, true)]
    public async Task Imap_yields_every_result_before_an_error_in_its_input_and_then_raises_it(int failAt, bool ordered)
    {
        await using var pool = new AioPool(2, context: _context);
        var results = new List<int>();
        var stream = ordered ? pool.ImapAsync(Square, InputFailingAt(failAt)) : pool.ImapUnorderedAsync(Square, InputFailingAt(failAt));
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var result in stream)
            {
                results.Add(result);
            }
        });
        Assert.Equal($"input item {failAt} is bad", error.Message);
        var expected = Enumerable.Range(0, failAt).Select(x => x * x).ToList();
        Assert.Equal(expected, ordered ? results : results.Order().ToList());
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_second_listener_on_an_address_in_use_is_refused_and_a_closed_listeners_address_can_be_listened_on_again()
    {
        var first = new AioListener("taken-address", _context);
        var second = Assert.Throws<IOException>(() => new AioListener("taken-address", _context));
        Assert.Contains("in use", second.Message, StringComparison.Ordinal);

        // The first still owns its backlog: a client is accepted by it.
        await using (var client = await AioClient.ConnectAsync("taken-address", _context))
        {
            await using var accepted = await first.AcceptAsync(Bounds.Remote);
            await client.SendAsync(7);
            Assert.Equal(7, await accepted.RecvAsync<int>(Bounds.Remote));
        }

        await first.CloseAsync();
        await Assert.ThrowsAsync<IOException>(() => AioClient.ConnectAsync("taken-address", _context));
        await using var again = new AioListener("taken-address", _context);
        await using var late = await AioClient.ConnectAsync("taken-address", _context);
        await using var acceptedAgain = await again.AcceptAsync(Bounds.Remote);
        await late.SendAsync("again");
        Assert.Equal("again", await acceptedAgain.RecvAsync<string>(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Whoever_sees_an_event_set_after_a_consumers_gets_sees_the_queue_without_those_items()
    {
        const int Rounds = 30;
        var queue = new AioQueue<int>(6, _context);
        var go = new AioQueue<int>(context: _context);
        var got = new AioEvent(_context);
        var consumer = new AioProcess(_context, TakeSixThenSet, queue, go, got, Rounds);
        await consumer.StartAsync();
        for (var round = 0; round < Rounds; round++)
        {
            await queue.PutManyAsync(Enumerable.Range(round * 6, 6));
            await go.PutAsync(round);
            Assert.True(await got.WaitAsync(Bounds.Remote));
            got.Clear();
            Assert.True(await queue.CountAsync() == 0, $"round {round}: the consumer took all 6 items and set the event, but {await queue.CountAsync()} still count as in the queue");
        }

        Assert.True(await consumer.JoinAsync(Bounds.Remote));
        Assert.Equal(0, consumer.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_target_knows_its_own_process_and_its_parent_and_the_parent_knows_its_active_children()
    {
        Assert.Equal(new AioProcessInfo("MainProcess", Environment.ProcessId, Daemon: false), AioProcess.Current);
        Assert.Null(AioProcess.Parent);

        var seen = new AioQueue<AioProcessInfo?>(context: _context);
        var release = new AioEvent(_context);
        var child = new AioProcess(_context, ReportSelfThenWait, seen, release) { Name = "reporter", Daemon = true };
        Assert.Throws<InvalidOperationException>(() => child.Sentinel);
        await child.StartAsync();
        var self = await seen.GetAsync(Bounds.Remote);
        var parent = await seen.GetAsync(Bounds.Remote);
        Assert.Equal(new AioProcessInfo("reporter", child.Pid!.Value, Daemon: true), self);
        Assert.Equal(new AioProcessInfo("MainProcess", Environment.ProcessId, Daemon: false), parent);
        Assert.True(parent!.IsAlive);
        Assert.Contains(child, AioProcess.ActiveChildren());
        Assert.Throws<InvalidOperationException>(() => child.Close());

        // The sentinel is signalled when the process ends, for WaitHandle.WaitAny over several.
        Assert.False(child.Sentinel.WaitOne(0));
        release.Set();
        Assert.Equal(0, await Task.Run(() => WaitHandle.WaitAny([child.Sentinel], Bounds.Remote)));
        Assert.True(await child.JoinAsync(Bounds.Remote));
        Assert.DoesNotContain(child, AioProcess.ActiveChildren());

        child.Close();
        child.Close();
        Assert.Throws<ObjectDisposedException>(() => child.ExitCode);
        Assert.Throws<ObjectDisposedException>(() => child.Join());
        Assert.Contains("closed", child.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task IsLocked_says_whether_any_process_holds_the_lock()
    {
        var lck = new AioLock(_context);
        Assert.False(await lck.IsLockedAsync());
        var seen = new AioQueue<bool>(context: _context);
        await using (await lck.LockAsync(Bounds.Remote))
        {
            Assert.True(lck.IsLocked);
            var child = new AioProcess(_context, ReportLocked, lck, seen);
            await child.StartAsync();
            Assert.True(await seen.GetAsync(Bounds.Remote));
            Assert.True(await child.JoinAsync(Bounds.Remote));
        }

        Assert.False(lck.IsLocked);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Shutdown_refuses_puts_and_either_lets_readers_drain_or_drops_what_is_left()
    {
        var drained = new AioQueue<int>(context: _context);
        await drained.PutManyAsync([1, 2]);
        await drained.ShutdownAsync();
        await Assert.ThrowsAsync<QueueShutDownException>(async () =>
        {
            await drained.PutAsync(3);
            await drained.FlushAsync();
        });
        Assert.Equal(1, await drained.GetAsync(Bounds.Remote));
        Assert.Equal(2, await drained.GetAsync(Bounds.Remote));
        await Assert.ThrowsAnyAsync<QueueShutDownException>(() => drained.GetAsync(Bounds.Remote));

        // Immediate: what is left is dropped, a waiting get ends at once, and Join does not wait for dropped items.
        var jobs = new AioJoinableQueue<int>(context: _context);
        await jobs.PutManyAsync([1, 2, 3]);
        Assert.Equal(1, await jobs.GetAsync(Bounds.Remote));
        await jobs.TaskDoneAsync();
        await jobs.ShutdownAsync(immediate: true);
        await Assert.ThrowsAnyAsync<QueueShutDownException>(() => jobs.GetAsync(Bounds.Remote));
        Assert.Equal(0, await jobs.CountAsync());
        Assert.True(await jobs.JoinAsync(Bounds.Remote));

        // A consumer in another process blocked in Get is released by the shutdown.
        var empty = new AioQueue<int>(context: _context);
        var consumer = new AioProcess(_context, GetUntilShutDown, empty);
        await consumer.StartAsync();
        await empty.ShutdownAsync(immediate: true);
        Assert.True(await consumer.JoinAsync(Bounds.Remote));
        Assert.Equal(0, consumer.ExitCode);
    }

    private static void ReportSelfThenWait(AioQueue<AioProcessInfo?> seen, AioEvent release)
    {
        seen.Put(AioProcess.Current);
        seen.Put(AioProcess.Parent);
        release.Wait(TimeSpan.FromSeconds(30));
    }

    private static void ReportLocked(AioLock lck, AioQueue<bool> seen) => seen.Put(lck.IsLocked);

    private static void GetUntilShutDown(AioQueue<int> queue)
    {
        try
        {
            queue.Get(timeout: TimeSpan.FromSeconds(30));
            throw new InvalidOperationException("got an item from an empty queue");
        }
        catch (QueueShutDownException)
        {
            // What the shutdown promises.
        }
    }

    private static void EchoThenClose(AioConnection end)
    {
        end.SendBytes(end.RecvBytes(timeout: TimeSpan.FromSeconds(30)));
        end.Close();
    }

    private static void HoldUntilSet(AioConnection end, AioEvent release)
    {
        end.Send(end.Recv<int>(TimeSpan.FromSeconds(30)) + 1);
        release.Wait(TimeSpan.FromSeconds(60));
    }

    private static void RelayOnce(AioConnection end) => end.SendBytes(end.RecvBytes(timeout: TimeSpan.FromSeconds(30)));

    private static int Square(int x) => x * x;

    private static IEnumerable<int> InputFailingAt(int failAt)
    {
        for (var i = 0; ; i++)
        {
            if (i == failAt)
            {
                throw new InvalidDataException($"input item {i} is bad");
            }

            yield return i;
        }
    }

    private static void TakeSixThenSet(AioQueue<int> queue, AioQueue<int> go, AioEvent got, int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            go.Get(timeout: TimeSpan.FromSeconds(30));
            for (var i = 0; i < 6; i++)
            {
                queue.Get(timeout: TimeSpan.FromSeconds(30));
            }

            got.Set();
        }
    }
}
