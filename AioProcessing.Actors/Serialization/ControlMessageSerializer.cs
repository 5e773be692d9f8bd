using System.Buffers;
using System.Collections.Frozen;
using AioProcessing.Actors.Nodes;
using AioProcessing.Actors.Primitives;
using Akka.Actor;
using Akka.Serialization;

namespace AioProcessing.Actors.Serialization;

/// <summary>
/// Hand-written serializer for every <see cref="IAioMessage"/>: a short string manifest per message type and a
/// compact binary body. User values never pass through here as objects; they travel as opaque payload bytes that
/// the API layer encodes, so this serializer needs no reflection and costs well under a microsecond a message.
/// </summary>
public sealed class ControlMessageSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer identifier registered in <c>hocon/aio-node.conf</c>.</summary>
    public const int SerializerId = 4711;

    private static readonly WireCodecs Codecs = BuildCodecs();

    /// <summary>Creates the serializer; Akka calls this through the HOCON serializer binding.</summary>
    public ControlMessageSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => Codecs.ManifestOf(o.GetType());

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        using var buffer = new PooledBufferWriter(256);
        WriteBody(obj, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Appends to <paramref name="into"/> the bytes <see cref="ToBinary"/> returns: how the lane writes a message
    /// straight into its frame, without an array of its own in between.
    /// </summary>
    /// <param name="obj">The message, of a type with a codec.</param>
    /// <param name="into">Where its bytes go.</param>
    /// <exception cref="ArgumentException"><paramref name="obj"/>'s type has no codec.</exception>
    internal void WriteBody(object obj, IBufferWriter<byte> into)
    {
        ArgumentNullException.ThrowIfNull(obj);
        Codecs.Write(new WireWriter(into), obj);
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) =>
        Codecs.Read(manifest, new WireReader(bytes, system));

    /// <summary>
    /// As <see cref="FromBinary(byte[], string)"/>, from a slice of a larger buffer (a lane frame): the message read
    /// copies what it keeps, so the buffer may be reused as soon as this returns.
    /// </summary>
    /// <param name="bytes">The message's bytes.</param>
    /// <param name="manifest">Its manifest.</param>
    /// <exception cref="System.Runtime.Serialization.SerializationException">The manifest is unknown or the bytes are cut short.</exception>
    internal object FromBinary(ReadOnlyMemory<byte> bytes, string manifest) =>
        Codecs.Read(manifest, new WireReader(bytes, system));

    /// <summary>The codec table: every message type this serializer writes and reads.</summary>
    internal static WireCodecs Table => Codecs;

    private static WireCodecs BuildCodecs()
    {
        var codecs = new WireCodecs();
        WaitProtocol.RegisterCodecs(codecs);
        LockActor.RegisterCodecs(codecs);
        SemaphoreActor.RegisterCodecs(codecs);
        BarrierActor.RegisterCodecs(codecs);
        ConditionActor.RegisterCodecs(codecs);
        EventActor.RegisterCodecs(codecs);
        QueueActor.RegisterCodecs(codecs);
        PipeEnd.RegisterCodecs(codecs);
        PoolActor.RegisterCodecs(codecs);
        DictActor.RegisterCodecs(codecs);
        ListActor.RegisterCodecs(codecs);
        PrimitiveHost.RegisterCodecs(codecs);
        NodeProtocol.RegisterCodecs(codecs);
        return codecs.Freeze();
    }
}

/// <summary>The table of message codecs: each primitive registers its own messages beside their definitions.</summary>
public sealed class WireCodecs
{
    private readonly Dictionary<Type, (string Manifest, Action<WireWriter, object> Write)> _writers = [];
    private readonly Dictionary<string, Func<WireReader, object>> _readers = [];
    private FrozenDictionary<Type, (string Manifest, Action<WireWriter, object> Write)>? _frozenWriters;
    private FrozenDictionary<string, Func<WireReader, object>>? _frozenReaders;

    /// <summary>Registers how one message type is written and read back under a manifest unique in the protocol.</summary>
    public WireCodecs Add<T>(string manifest, Action<WireWriter, T> write, Func<WireReader, T> read)
        where T : IAioMessage
    {
        if (!_readers.TryAdd(manifest, r => read(r)))
        {
            throw new InvalidOperationException($"Manifest '{manifest}' is registered twice.");
        }

        _writers.Add(typeof(T), (manifest, (w, o) => write(w, (T)o)));
        return this;
    }

    /// <summary>Registers a message type without fields: written as nothing, read back as <paramref name="instance"/>.</summary>
    public WireCodecs AddSingleton<T>(string manifest, T instance)
        where T : IAioMessage => Add<T>(manifest, static (_, _) => { }, _ => instance);

    internal WireCodecs Freeze()
    {
        _frozenWriters = _writers.ToFrozenDictionary();
        _frozenReaders = _readers.ToFrozenDictionary();
        return this;
    }

    /// <summary>Every registered message type (after <see cref="Freeze"/>).</summary>
    internal IEnumerable<Type> MessageTypes => _frozenWriters!.Keys;

    internal string ManifestOf(Type type) => Writer(type).Manifest;

    internal void Write(WireWriter writer, object message) => Writer(message.GetType()).Write(writer, message);

    internal object Read(string manifest, WireReader reader) =>
        _frozenReaders!.TryGetValue(manifest, out var read)
            ? read(reader)
            : throw new System.Runtime.Serialization.SerializationException($"Unknown AioProcessing message manifest '{manifest}'.");

    private (string Manifest, Action<WireWriter, object> Write) Writer(Type type) =>
        _frozenWriters!.TryGetValue(type, out var entry)
            ? entry
            : throw new ArgumentException($"{type.FullName} has no AioProcessing wire codec.", nameof(type));
}
