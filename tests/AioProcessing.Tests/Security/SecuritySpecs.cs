using System.Buffers.Binary;
using System.Net.Sockets;
using AioProcessing.Actors.Primitives;
using AioProcessing.Node.Hosting;
using AioProcessing.Node.Security;
using AioProcessing.Tests.Queues;
using AioProcessing.Tests.Support;
using Akka.Actor;
using Xunit;

namespace AioProcessing.Tests.Security;

/// <summary>
/// Hardening of the coordinator's port over real loopback sockets: peers that do not prove the secret are cut off
/// before anything they send is read, and garbage of every shape leaves the coordinator serving. Not run in parallel
/// with other memory-heavy specs, so that the memory bound means something.
/// </summary>
[Collection(LargeTransfers.Name)]
public sealed class SecuritySpecs
{
    private static readonly byte[] Magic = "AIO1"u8.ToArray();

    [Fact(Timeout = Bounds.Spec)]
    public async Task Peers_without_the_secret_are_cut_off_before_anything_they_send_is_acted_on()
    {
        await using var context = await AioContext.StartAsync();
        var transport = AuthenticatingTransport.Of(context.System)!;
        var refusalsBefore = transport.Refusals;

        // A plain Akka node that speaks our serializer but not the handshake, and one of ours with another secret.
        await using var plain = await AioNode.StartAsync(new AioNodeSettings());
        await using var wrong = await AioNode.StartAsync(new AioNodeSettings(Secret: "not-the-secret"));
        foreach (var (intruder, name) in new[] { (plain, "intruder-plain"), (wrong, "intruder-wrong") })
        {
            var host = HostOf(intruder, context);
            host.Tell(new PrimitiveHost.Create(1, PrimitiveHost.Kind.Lock, 0, Name: name));
            await Assert.ThrowsAsync<AskTimeoutException>(() => host.Ask<object>(new PrimitiveHost.Create(2, PrimitiveHost.Kind.Lock, 0, Name: name + "-asked"), TimeSpan.FromSeconds(3)));
        }

        // The same request from a node with the secret is served: the spec above could have failed.
        await using var member = await AioNode.StartAsync(new AioNodeSettings(Secret: context.Secret));
        var created = await HostOf(member, context).Ask<PrimitiveHost.Created>(new PrimitiveHost.Create(3, PrimitiveHost.Kind.Lock, 0, Name: "member"), Bounds.Remote);
        Assert.True(created.IsNew);

        foreach (var name in new[] { "intruder-plain", "intruder-plain-asked", "intruder-wrong", "intruder-wrong-asked" })
        {
            await Assert.ThrowsAsync<SynchronizationLockException>(() => context.CreatePrimitiveAsync(PrimitiveHost.Kind.Lock, name: name, findOnly: true));
        }

        Assert.True(transport.Refusals >= refusalsBefore + 2, $"refusals {transport.Refusals - refusalsBefore}");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_repeated_hello_is_answered_again_and_a_peer_that_then_proves_the_secret_gets_the_coordinators_proof()
    {
        // The connecting side repeats its Hello while unanswered (a first one can stay unflushed under TLS); the
        // repeat must not break the handshake. Spoken here over a raw socket, as a node of ours would.
        await using var context = await AioContext.StartAsync();
        var port = Address.Parse(context.Address).Port!.Value;
        var secret = System.Text.Encoding.UTF8.GetBytes(context.Secret);
        var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        using var bound = new CancellationTokenSource(Bounds.Remote);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, bound.Token);
        var stream = client.GetStream();
        byte[] hello = Frame([.. Magic, 1, .. nonce]);
        byte[] twice = [.. hello, .. hello];
        await stream.WriteAsync(twice, bound.Token);

        var answer = await ReadFrameAsync(stream, bound.Token);
        Assert.Equal([.. Magic, 1], answer[..5]);
        Assert.Equal(answer, await ReadFrameAsync(stream, bound.Token));
        var theirs = answer[5..];

        await stream.WriteAsync(Frame([.. Magic, 2, .. Hmac(secret, [(byte)'C', .. theirs, .. nonce])]), bound.Token);
        byte[] expected = [.. Magic, 2, .. Hmac(secret, [(byte)'L', .. nonce, .. theirs])];
        Assert.Equal(expected, await ReadFrameAsync(stream, bound.Token));

        // A second Hello with another nonce is no repeat: the connection is cut after the first answer.
        using var other = new TcpClient();
        await other.ConnectAsync("127.0.0.1", port, bound.Token);
        var otherStream = other.GetStream();
        byte[] helloThenAnother = [.. hello, .. Frame([.. Magic, 1, .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)])];
        await otherStream.WriteAsync(helloThenAnother, bound.Token);
        Assert.Equal(answer.Length, (await ReadFrameAsync(otherStream, bound.Token)).Length);
        Assert.Equal(0, await otherStream.ReadAsync(new byte[1], bound.Token));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Thousands_of_garbage_truncated_oversized_and_forged_frames_leave_the_coordinator_serving_in_bounded_memory()
    {
        await using var context = await AioContext.StartAsync();
        var port = Address.Parse(context.Address).Port!.Value;
        var transport = AuthenticatingTransport.Of(context.System)!;
        var refusalsBefore = transport.Refusals;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        const int connections = 2000;
        using (var gate = new SemaphoreSlim(32))
        {
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    await SendAsync(port, Attack(i));
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        // Still serving: a worker process joins and a queue and a lock go round trip.
        var queue = new AioQueue<int>(context: context);
        var lck = new AioLock(context);
        var child = new AioProcess(context, PutUnderLock, queue, lck);
        await child.StartAsync();
        Assert.Equal(42, await queue.GetAsync(Bounds.Remote));
        Assert.True(await child.JoinAsync(Bounds.Remote));
        Assert.Equal(0, child.ExitCode);

        // Every attack was refused at the handshake (those that sent nothing at all are cut when they close).
        Assert.True(transport.Refusals - refusalsBefore >= connections * 9 / 10, $"refused {transport.Refusals - refusalsBefore} of {connections}");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var grown = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        Assert.True(grown < 64L * 1024 * 1024, $"managed memory grew by {grown / (1024 * 1024)} MB");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Messages_without_a_serializer_of_their_own_are_refused_both_ways_instead_of_falling_back_to_json()
    {
        await using var node = await AioNode.StartAsync(new AioNodeSettings());
        var serializer = node.System.Serialization.FindSerializerForType(typeof(NotAMessage));
        Assert.IsType<AioProcessing.Actors.Serialization.RefusingSerializer>(serializer);
        var outgoing = Assert.Throws<ArgumentException>(() => serializer.ToBinary(new NotAMessage()));
        Assert.Contains(typeof(NotAMessage).FullName!, outgoing.Message, StringComparison.Ordinal);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{\"$type\":\"System.Diagnostics.Process, System\"}"u8.ToArray(), typeof(object)));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_frame_naming_Akkas_json_serializer_is_refused_by_a_node_the_library_starts()
    {
        // Serializer id 1 is Akka's Newtonsoft serializer, which builds the type a frame names. Nothing binds it in a
        // node, but Akka builds every listed serializer and decodes a frame with whichever its id names: a node
        // lists the refusing serializer in its place, whose id is its own, so id 1 names none.
        await using var node = await AioNode.StartAsync(new AioNodeSettings());
        var frame = "{\"$type\":\"System.IO.MemoryStream, System.Private.CoreLib\"}"u8.ToArray();
        var refused = Assert.Throws<System.Runtime.Serialization.SerializationException>(
            () => node.System.Serialization.Deserialize(frame, 1, typeof(MemoryStream).AssemblyQualifiedName!));
        Assert.Contains("serializer with id [1]", refused.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_payload_that_names_a_type_which_could_never_have_been_sent_is_refused_when_read()
    {
        await using var context = await AioContext.StartAsync();
        var forged = Typeless(typeof(MemoryStream).AssemblyQualifiedName!);
        var refused = Assert.ThrowsAny<Exception>(() => context.Payloads.Deserialize<object>(forged));
        Assert.True(refused.ToString().Contains("Refused to build System.IO.MemoryStream", StringComparison.Ordinal), refused.ToString());

        // The same shape naming an ordinary type is read: the refusal above is about the type.
        var fine = Typeless(typeof(PlainPoint).AssemblyQualifiedName!);
        Assert.IsType<PlainPoint>(context.Payloads.Deserialize<object>(fine));
    }

    // MessagePack's typeless encoding: extension 100 holding the type's name as a string, then the value (an empty map).
    private static byte[] Typeless(string typeName)
    {
        var body = new System.Buffers.ArrayBufferWriter<byte>();
        var inner = new MessagePack.MessagePackWriter(body);
        inner.Write(typeName);
        inner.WriteMapHeader(0);
        inner.Flush();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePack.MessagePackWriter(buffer);
        writer.WriteExtensionFormatHeader(new MessagePack.ExtensionHeader(100, body.WrittenCount));
        writer.WriteRaw(body.WrittenSpan);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static IActorRef HostOf(AioNode node, AioContext context) =>
        ((ExtendedActorSystem)node.System).Provider.ResolveActorRef(context.Address + PrimitiveHost.Path);

    private static void PutUnderLock(AioQueue<int> queue, AioLock lck)
    {
        using (lck.Lock(TimeSpan.FromSeconds(20)))
        {
            queue.Put(42);
        }
    }

    /// <summary>The bytes of the i-th attacking connection: each shape in turn.</summary>
    private static byte[] Attack(int i)
    {
        var random = new Random(i);
        return (i % 6) switch
        {
            // Random bytes.
            0 => RandomBytes(random, random.Next(1, 4096)),
            // A length prefix promising more than is sent (truncated frame), then the connection closes.
            1 => [.. Length(1000), .. RandomBytes(random, 10)],
            // A frame far over the maximum frame size.
            2 => [.. Length(int.MaxValue - 8), .. RandomBytes(random, 64)],
            // A well-formed Hello, then a forged proof.
            3 => [.. Frame([.. Magic, 1, .. RandomBytes(random, 32)]), .. Frame([.. Magic, 2, .. RandomBytes(random, 32)])],
            // A well-formed Hello, then a frame of Akka's protocol that was never authenticated.
            4 => [.. Frame([.. Magic, 1, .. RandomBytes(random, 32)]), .. Frame(RandomBytes(random, 200))],
            // Many small frames of garbage on one connection.
            _ => [.. Enumerable.Range(0, 50).SelectMany(_ => Frame(RandomBytes(random, random.Next(1, 100))))],
        };
    }

    private static async Task SendAsync(int port, byte[] bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(bytes);
            // Read until the coordinator cuts the connection (its Hello comes first), bounded.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[4096];
            while (await stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            // Cut off: what the attack expects.
        }
    }

    private static byte[] Length(int length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(prefix, length);
        return prefix;
    }

    private static byte[] Frame(byte[] payload) => [.. Length(payload.Length), .. payload];

    private static byte[] Hmac(byte[] key, byte[] data) => System.Security.Cryptography.HMACSHA256.HashData(key, data);

    private static async Task<byte[]> ReadFrameAsync(NetworkStream stream, CancellationToken ct)
    {
        var prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix, ct);
        var payload = new byte[BinaryPrimitives.ReadInt32LittleEndian(prefix)];
        await stream.ReadExactlyAsync(payload, ct);
        return payload;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A message type with no serializer of its own.</summary>
    private sealed class NotAMessage;

    /// <summary>An ordinary value type for payloads.</summary>
    public sealed class PlainPoint
    {
        public int X { get; set; }
    }
}
