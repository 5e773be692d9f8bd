using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Ported;

/// <summary>
/// aioprocessing's own <c>tests/queue_test.py</c> and <c>tests/connection_tests.py</c>, case by case, against real
/// worker processes, plus the listener and client as context managers.
/// </summary>
public sealed class AioprocessingQueueTests : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public AioprocessingQueueTests(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task QueueTest_test_blocking_put()
    {
        var q = new AioQueue<int>(context: _context);
        await q.PutAsync(1);
        Assert.Equal(1, await Task.Run(() => q.Get()));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task QueueTest_test_put_get()
    {
        var q = new AioQueue<int>(context: _context);
        var p = new AioProcess(_context, QueuePut, q, 1);
        await p.StartAsync();
        Assert.Equal(1, await q.GetAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task QueueTest_test_get_put()
    {
        var q = new AioQueue<int>(context: _context);
        var e = new AioEvent(_context);
        var p = new AioProcess(_context, QueueGet, q, e);
        await p.StartAsync();
        await q.PutAsync(2);
        Assert.True(await e.WaitAsync(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(2, await q.GetAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task QueueTest_test_simple_queue()
    {
        var q = new AioSimpleQueue<int>(_context);
        await q.PutAsync(8);
        Assert.Equal(8, await Task.Run(() => q.Get()));
        Assert.True(q.IsEmpty);
    }

    // ManagerQueueTest.test_executor, with the queue passed to a child process instead of a manager's proxy.
    [Fact(Timeout = Bounds.Spec)]
    public async Task ManagerQueueTest_test_executor_queue_passed_to_a_child()
    {
        var q = new AioQueue<int>(context: _context);
        var p = new AioProcess(_context, QueuePut, q, 4);
        await p.StartAsync();
        Assert.Equal(4, await q.GetAsync(Bounds.Remote));
        await q.PutAsync(5);
        Assert.Equal(5, await Task.Run(() => q.Get(timeout: Bounds.Remote)));
        Assert.True(await p.JoinAsync(Bounds.Remote));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task JoinableQueueTest_test_join_empty_queue() =>
        Assert.True(await new AioJoinableQueue<int>(context: _context).JoinAsync(Bounds.Remote));

    [Fact(Timeout = Bounds.Spec)]
    public async Task PipeTest_test_pipe()
    {
        var (conn1, conn2) = AioPipe.Create(context: _context);
        var p = new AioProcess(_context, ConnSend, conn1, 25);
        await p.StartAsync();
        Assert.Equal(25, await conn2.RecvAsync<int>(Bounds.Remote));
        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Listener_and_client_as_context_managers()
    {
        string address;
        AioProcess p;
        await using (var listener = new AioListener(context: _context))
        {
            address = listener.Address;
            p = new AioProcess(_context, ClientSendsAndWaitsForReply, address);
            await p.StartAsync();
            await using (var conn = await listener.AcceptAsync(Bounds.Remote))
            {
                Assert.Equal("hello from the client", await conn.RecvAsync<string>(Bounds.Remote));
                await conn.SendAsync("hello back");
            }
        }

        Assert.True(await p.JoinAsync(Bounds.Remote));
        Assert.Equal(0, p.ExitCode);
        var refused = Assert.Throws<IOException>(() => AioClient.Connect("no-such-listener", _context));
        Assert.Contains("no listener at 'no-such-listener'", refused.Message, StringComparison.Ordinal);
    }

    private static void QueuePut(AioQueue<int> q, int val) => q.Put(val);

    private static void QueueGet(AioQueue<int> q, AioEvent e)
    {
        var val = q.Get(timeout: TimeSpan.FromSeconds(30));
        e.Set();
        q.Put(val);
    }

    private static void ConnSend(AioConnection conn, int val) => conn.Send(val);

    private static void ClientSendsAndWaitsForReply(string address)
    {
        using var conn = AioClient.Connect(address);
        conn.Send("hello from the client");
        if (conn.Recv<string>(TimeSpan.FromSeconds(30)) != "hello back")
        {
            throw new InvalidOperationException("wrong reply");
        }
    }
}
