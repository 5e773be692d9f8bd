using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using AioProcessing.Actors.Primitives;
using AioProcessing.Node.Lane;
using AioProcessing.Tests.Support;
using Akka.Actor;
using Xunit;

namespace AioProcessing.Tests.Lane;

/// <summary>
/// The same-host lane: which path a process's calls take, who may open it, where its socket lives, and that the
/// order of a process's messages holds when its last ones leave on the lane and its exit report on Akka.Remote.
/// Each spec sets <c>aio.lane.enabled</c> itself, so it tests the same thing in both passes of the suite.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LaneSpecs
{
    [Theory(Timeout = Bounds.Spec)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_worker_on_the_coordinators_host_sends_its_calls_over_the_lane_unless_it_is_turned_off(bool lane)
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = $"aio.lane.enabled = {(lane ? "on" : "off")}" });
        var paths = new AioQueue<string>(context: context);
        var lck = new AioLock(context);
        var worker = new AioProcess(context, ReportPathAfterLocking, paths, lck);
        await worker.StartAsync();

        var path = await paths.GetAsync(Bounds.Remote);
        Assert.True(await worker.JoinAsync(Bounds.Remote));
        Assert.Equal(0, worker.ExitCode);
        if (lane)
        {
            Assert.Equal("lane", path);
        }
        else
        {
            Assert.StartsWith("akka (", path, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_program_that_joins_on_this_host_uses_the_lane_and_closing_it_gives_back_what_it_held()
    {
        await using var coordinator = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.lane.enabled = on" });
        var joined = await AioContext.ConnectAsync(coordinator.Address, coordinator.Secret, new AioContextOptions { Hocon = "aio.lane.enabled = on" });
        try
        {
            Assert.Equal("lane", joined.Link.Path);
            Assert.True(await new AioLock("held-by-joined", joined).AcquireAsync(Bounds.Remote));
            Assert.False(await new AioLock("held-by-joined", coordinator).AcquireAsync(TimeSpan.Zero), "the joined process's hold is not seen by the coordinator");
        }
        finally
        {
            await joined.DisposeAsync();
        }

        Assert.True(await new AioLock("held-by-joined", coordinator).AcquireAsync(Bounds.Remote), "the lane closed but the lock was not given back");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_peer_that_cannot_prove_the_secret_is_cut_off_before_anything_it_sends_is_read()
    {
        await using var coordinator = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.lane.enabled = on" });
        var ev = new AioEvent(coordinator);

        // The same frames set the event when the proof is right: the spec can tell a read message from an unread one.
        using (var proven = Connect(coordinator, Encoding.UTF8.GetBytes(coordinator.Secret), ev))
        {
            Assert.True(await ev.WaitAsync(Bounds.Remote), "a proven peer's message did not reach the event");
        }

        await ev.ClearAsync();
        using var stranger = Connect(coordinator, Encoding.UTF8.GetBytes("not-the-secret"), ev);
        stranger.ReceiveTimeout = (int)Bounds.Remote.TotalMilliseconds;
        var buffer = new byte[64];
        int read;
        try
        {
            read = stranger.Receive(buffer);
        }
        catch (SocketException)
        {
            read = 0;
        }

        Assert.Equal(0, read); // cut off, with no proof of the coordinator's own
        Assert.False(await ev.IsSetAsync(), "a message from a peer without the secret was acted on");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task The_socket_lives_in_a_directory_only_its_user_can_open_and_a_directory_others_may_open_turns_the_lane_off()
    {
        var root = Directory.CreateTempSubdirectory("aio-lane-spec-");
        try
        {
            var private_ = Path.Combine(root.FullName, "private");
            await using (var context = await AioContext.StartAsync(new AioContextOptions { Hocon = $"aio.lane.enabled = on\naio.lane.directory = \"{private_}\"" }))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(private_));
                Assert.Single(Directory.GetFiles(private_, "*.sock"));
                Assert.Equal("lane", await PathOfAWorkerAsync(context));
            }

            Assert.Empty(Directory.GetFiles(private_, "*.sock")); // removed when the coordinator stopped

            var open = Path.Combine(root.FullName, "open");
            Directory.CreateDirectory(open);
            File.SetUnixFileMode(open, (UnixFileMode)Convert.ToInt32("777", 8));
            await using (var context = await AioContext.StartAsync(new AioContextOptions { Hocon = $"aio.lane.enabled = on\naio.lane.directory = \"{open}\"" }))
            {
                Assert.Empty(Directory.GetFiles(open));
                var path = await PathOfAWorkerAsync(context);
                Assert.StartsWith("akka (", path, StringComparison.Ordinal); // and the worker still works
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task What_a_worker_told_on_the_lane_just_before_it_returned_is_in_effect_when_join_returns()
    {
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.lane.enabled = on" });
        for (var round = 0; round < 10; round++)
        {
            var lck = new AioLock(context);
            var ev = new AioEvent(context);
            var worker = new AioProcess(context, AcquireReleaseAndSet, lck, ev);
            await worker.StartAsync();
            Assert.True(await worker.JoinAsync(Bounds.Remote));
            Assert.Equal(0, worker.ExitCode);

            // The release went on the lane without an answer; the exit report on Akka.Remote had to come after it.
            Assert.True(await ev.IsSetAsync(), $"round {round}: the event set before the exit was not set when Join returned");
            Assert.True(await lck.AcquireAsync(TimeSpan.Zero), $"round {round}: the lock released before the exit was still held when Join returned");
        }
    }

    private static void ReportPathAfterLocking(AioQueue<string> paths, AioLock lck)
    {
        using (lck.Lock())
        {
            paths.Put(AioContext.Default.Link.Path);
        }
    }

    private static void AcquireReleaseAndSet(AioLock lck, AioEvent ev)
    {
        lck.Acquire();
        ev.Set();
        lck.Release(); // told, not asked: this process holds the lock, so nothing answers it
    }

    private static async Task<string> PathOfAWorkerAsync(AioContext context)
    {
        var paths = new AioQueue<string>(context: context);
        var worker = new AioProcess(context, ReportPathAfterLocking, paths, new AioLock(context));
        await worker.StartAsync();
        var path = await paths.GetAsync(Bounds.Remote);
        Assert.True(await worker.JoinAsync(Bounds.Remote));
        return path;
    }

    // Opens the coordinator's lane with a proof made from secret, then binds the event's actor and tells it Set.
    private static Socket Connect(AioContext coordinator, byte[] secret, AioEvent ev)
    {
        var system = (ExtendedActorSystem)coordinator.System;
        var path = LaneDirectory.SocketPath(LaneDirectory.Resolve(""), system.Provider.DefaultAddress);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        var hello = new byte[4 + LaneWire.ProofBytes];
        Assert.True(LaneWire.ReadExactly(socket, hello));
        var nonce = new byte[LaneWire.ProofBytes];
        var inbox = Encoding.UTF8.GetBytes("akka.tcp://spec@127.0.0.1:1/temp/inbox");
        var answer = new List<byte>();
        answer.AddRange(LaneWire.Proof(secret, fromProcess: true, hello.AsSpan(4), nonce));
        answer.AddRange(nonce);
        answer.AddRange(BitConverter.GetBytes((ushort)inbox.Length));
        answer.AddRange(inbox);

        // Sent at once behind the proof, without waiting for the coordinator's: a bind, then Set.
        var target = ev.Actor.Path.ToSerializationFormatWithAddress(system.Provider.DefaultAddress);
        answer.AddRange(Frame([LaneWire.Bind, .. BitConverter.GetBytes(1), .. Short(target)]));
        var serializer = LaneListener.SerializerOf(system);
        var set = new EventActor.Set(WaitProtocol.NoReply);
        answer.AddRange(Frame([LaneWire.Tell, .. BitConverter.GetBytes(1), 0, .. Short(serializer.Manifest(set)), .. serializer.ToBinary(set)]));
        socket.Send(answer.ToArray());
        return socket;
    }

    private static byte[] Short(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return [.. BitConverter.GetBytes((ushort)bytes.Length), .. bytes];
    }

    private static byte[] Frame(byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }
}
