using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using AioProcessing.Actors.Serialization;
using AioProcessing.Node.Hosting;
using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using Xunit;

namespace AioProcessing.Tests.Actors;

public sealed class ControlMessageSerializerSpecs : TestKit
{
    public ControlMessageSerializerSpecs()
        : base(AioHocon.Defaults, "aio")
    {
    }

    /// <summary>Every message type in the serializer's codec table, by name.</summary>
    public static TheoryData<string> MessageTypes => new(ControlMessageSerializer.Table.MessageTypes.Select(t => t.FullName!).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Every_protocol_message_is_bound_to_the_control_serializer_and_round_trips_with_every_field(string type)
    {
        var samples = Samples(TestActor).Where(m => m.GetType().FullName == type).ToList();
        Assert.True(samples.Count > 0, $"{type} is in the codec table but has no sample here: add one to Samples.");
        foreach (var message in samples)
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<ControlMessageSerializer>(serializer);

            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
            var bytes = serializer.ToBinary(message);
            var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

            Assert.Equal(Fields(message), Fields(back));

            // As the lane writes and reads it: the same bytes written into a pooled frame after a header, read back
            // from the middle of a larger buffer whose other bytes are not the message's.
            var control = (ControlMessageSerializer)serializer;
            using var frame = new PooledBufferWriter(16);
            frame.GetSpan(3).Fill(0xEE);
            frame.Advance(3);
            control.WriteBody(message, frame);
            Assert.Equal(bytes, frame.WrittenSpan[3..].ToArray());
            byte[] padded = [0xEE, 0xEE, 0xEE, .. bytes, 0xEE];
            Assert.Equal(Fields(message), Fields(control.FromBinary(padded.AsMemory(3, bytes.Length), manifest)));
        }
    }

    [Fact]
    public void A_pooled_buffer_keeps_what_was_written_as_it_grows_and_hands_its_array_over_once()
    {
        using var writer = new PooledBufferWriter(256);
        var expected = new List<byte>();
        for (var i = 0; i < 40; i++)
        {
            // Writes of every size, a megabyte among them: each growth copies what came before.
            var size = i == 20 ? 1 << 20 : (i * 37) + 1;
            var span = writer.GetSpan(size);
            Assert.True(span.Length >= size, $"asked for {size} bytes, got {span.Length}");
            for (var j = 0; j < size; j++)
            {
                span[j] = (byte)(i + j);
                expected.Add((byte)(i + j));
            }

            writer.Advance(size);
        }

        Assert.Equal(expected.Count, writer.WrittenCount);
        Assert.True(writer.WrittenSpan.SequenceEqual(expected.ToArray()), "the bytes changed as the buffer grew");
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(writer.GetSpan().Length + 1));

        var count = writer.WrittenCount;
        var array = writer.Detach();
        Assert.True(array.AsSpan(0, count).SequenceEqual(expected.ToArray()), "the detached array is not what was written");
        Assert.Equal(0, writer.WrittenCount);
        System.Buffers.ArrayPool<byte>.Shared.Return(array);
    }

    [Fact]
    public void A_truncated_frame_is_rejected_with_a_serialization_error()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new LockActor.Acquire(1, 2));
        var bytes = serializer.ToBinary(new LockActor.Acquire(1, 2));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..5], "la"));
    }

    [Fact]
    public void A_pool_message_without_a_trace_context_is_written_as_before_it_could_carry_one()
    {
        // The trace context is an optional trailing field: absent, the bytes are what a node without it writes and reads.
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new PoolActor.Submit(1, 1, []));
        Assert.Equal(8 + 4 + (4 + 2), serializer.ToBinary(new PoolActor.Submit(17, 5, [9, 8])).Length);
        Assert.Equal(8 + 4 + (8 + 4 + 4 + 1), serializer.ToBinary(new PoolActor.Work(19, [new PoolActor.WorkItem(20, 2, [7])])).Length);
    }

    // Every public property, recursively, spelled out: records holding arrays compare arrays by reference, and a
    // field that a codec forgets must show up as a difference, whatever its type.
    private static string Fields(object? value) => value switch
    {
        null => "null",
        string text => '"' + text + '"',
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        IActorRef actor => "ref " + actor.Path,
        Enum or bool or char or sbyte or byte or short or ushort or int or uint or long or ulong or double or float or decimal or TimeSpan
            => $"{value.GetType().Name} {value}",
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Fields)) + "]",
        _ => value.GetType().Name + " { " + string.Join(", ", value.GetType()
            .GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + " = " + Fields(p.GetValue(value)))) + " }",
    };

    private static List<object> Samples(IActorRef actor)
    {
        var run = new NodeProtocol.RunTarget("node-1", "AioProcess-1", [1, 2, 3], actor);
        object[] messages =
        [
            new WaitProtocol.Cancel(42),
            new WaitProtocol.Result(42, WaitProtocol.Outcome.Cancelled),
            new WaitProtocol.Ack(43),
            new WaitProtocol.Failed(44, WaitProtocol.FailureKind.NotHeld, "release of an unheld lock"),
            new LockActor.Acquire(7, -1),
            new LockActor.Acquire(70, 5, WaitProtocol.Outcome.TimedOut),
            new ConditionActor.Wait(71, 250),
            new ConditionActor.Notify(72, int.MaxValue),
            new LockActor.Release(0),
            new SemaphoreActor.Acquire(50, 250),
            new SemaphoreActor.Release(51, 2),
            new SemaphoreActor.Query(52),
            new SemaphoreActor.State(52, 3),
            new WaitProtocol.Failed(53, WaitProtocol.FailureKind.Full, "semaphore released too many times"),
            new BarrierActor.Wait(60, -1),
            new BarrierActor.WaitReply(60, BarrierActor.Outcome.RunAction, 2, [9, 8]),
            new BarrierActor.WaitReply(61, BarrierActor.Outcome.Passed, 0, null),
            new BarrierActor.ActionDone(60, true),
            new BarrierActor.Abort(62),
            new BarrierActor.Reset(63),
            new BarrierActor.Query(64),
            new BarrierActor.State(64, 3, 1, false),
            new EventActor.Wait(8, 1500),
            new EventActor.Set(45),
            new EventActor.Clear(46),
            new EventActor.Query(47),
            new EventActor.State(47, true),
            new QueueActor.Put(9, 0, [[0, 255, 7], [], [1]]),
            new QueueActor.Take(10, 256, 250, true, 17),
            new QueueActor.Taken(10, WaitProtocol.Outcome.Granted, [[5], [6, 7]]),
            new QueueActor.Taken(11, WaitProtocol.Outcome.Closed, []),
            new QueueActor.Consumed(12),
            new QueueActor.Return(3, [[1], [2]]),
            new QueueActor.Complete(13),
            new QueueActor.TaskDone(14, 2),
            new QueueActor.JoinTasks(15, -1),
            new QueueActor.ItemPart(16, [1, 2, 3]),
            new PoolActor.Submit(17, 5, [9, 8]),
            new PoolActor.Submit(25, 1, [6], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "congo=t61rcWkgMzE"),
            new PoolActor.ChunkDone(17, PoolActor.ChunkStatus.Ok, [4], "", "", ""),
            PoolActor.ChunkDone.Failure(18, PoolActor.ChunkStatus.Error, "System.ArgumentException", "bad", "at X"),
            new PoolActor.Pull(19, [new PoolActor.ChunkDone(17, PoolActor.ChunkStatus.Ok, [4], "", "", "")], 3),
            new PoolActor.Pull(0, []),
            new PoolActor.Work(19, [new PoolActor.WorkItem(20, 2, [7]), new PoolActor.WorkItem(21, 1, [])]),
            new PoolActor.Work(22, []),
            new PoolActor.Work(26, [new PoolActor.WorkItem(25, 1, [6], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "congo=t61rcWkgMzE"), new PoolActor.WorkItem(27, 3, [5], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")]),
            new PoolActor.Close(23),
            new PoolActor.Terminate(24),
            new QueueActor.CountQuery(48),
            new QueueActor.CountReply(48, 3, 10, true),
            new PrimitiveHost.Create(49, PrimitiveHost.Kind.Queue, 5),
            new PrimitiveHost.Create(65, PrimitiveHost.Kind.Barrier, 3, 1500, [7]),
            new PrimitiveHost.Created(49, actor),
            new PrimitiveHost.Created(50, actor, IsNew: false),
            new WaitProtocol.Retire(51),
            new DictActor.Get(52, [1]),
            new DictActor.Set(53, [1], [2, 3], DictActor.Absent),
            new DictActor.Remove(54, [1], 7),
            new DictActor.Snapshot(55),
            new DictActor.Clear(56),
            new DictActor.Entry(53, true, true, [2, 3], 8),
            new DictActor.Contents(55, [[1], [4]], [[2], [5]]),
            new ListActor.Op(57, ListActor.OpKind.Insert, -1, [[9]]),
            new ListActor.Result(57, [[9]], 3),
            new NodeProtocol.ExpectWorker("node-1", run),
            new NodeProtocol.ForgetWorker("node-1"),
            new NodeProtocol.RegisterWorker("node-1", 1234, "secret", actor),
            new NodeProtocol.Join(67, 4321, "secret", actor),
            new NodeProtocol.Evicted("gone"),
            new PrimitiveHost.Create(68, PrimitiveHost.Kind.RLock, 0, 0, null, "migrations"),
            new PrimitiveHost.Create(69, PrimitiveHost.Kind.Queue, 0, 0, null, "jobs", FindOnly: true, Shape: "System.Int32"),
            new PrimitiveHost.Create(70, PrimitiveHost.Kind.Listener, 0, 0, null, "address", Exclusive: true),
            new PrimitiveHost.Unname(71, "address", actor),
            new WaitProtocol.Result(72, WaitProtocol.Outcome.Granted, FencingToken: 987654321012),
            new LockActor.Query(73),
            new LockActor.State(73, true),
            new NodeProtocol.RunTarget("node-2", "worker-2", [4], actor, Daemon: true, ParentPid: 4321, ParentName: "MainProcess"),
            new PipeEnd.Hold(PipeEnd.EndSide.Receiver, actor),
            new PipeEnd.Hold(PipeEnd.EndSide.Sender, null),
            new PipeEnd.Release(PipeEnd.EndSide.Sender),
            new PipeEnd.Transfer(PipeEnd.EndSide.Receiver, 1234567890123, actor),
            new PipeEnd.Claim(PipeEnd.EndSide.Receiver, 1234567890123),
            new PipeEnd.Drop(PipeEnd.EndSide.Sender, 42),
            new NodeProtocol.WorkerRejected("wrong secret"),
            new NodeProtocol.WorkerAdmitted("node-1"),
            run,
            new NodeProtocol.WorkerUp("node-1", 1234, actor),
            new NodeProtocol.TargetExited("node-1", 0, null),
            new NodeProtocol.TargetExited("node-1", 1, new NodeProtocol.RemoteError("System.InvalidOperationException", "boom", "at X.Y()")),
            new NodeProtocol.ExpectWarmWorker("warm-1", actor),
            new NodeProtocol.StatusQuery(74),
            new PoolActor.Load(75),
            new PoolActor.LoadReply(75, 12, 2, 1, true),
            new PrimitiveHost.Census(76, [new NodeProtocol.NodeInfo("akka.tcp://aio@127.0.0.1:4053", 4321, "coordinator"), new NodeProtocol.NodeInfo("akka.tcp://aio@127.0.0.1:4054", 4322, "warm")]),
            new PrimitiveHost.Status(
                76,
                [new NodeProtocol.NodeInfo("akka.tcp://aio@127.0.0.1:4053", 4321, "coordinator")],
                [new PrimitiveHost.PrimitiveInfo(PrimitiveHost.Kind.Pool, "crunch", actor), new PrimitiveHost.PrimitiveInfo(PrimitiveHost.Kind.Lock, null, actor)]),
        ];
        return [.. messages];
    }
}
