using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;
using MessagePack;
using MessagePack.Formatters;

namespace AioProcessing;

/// <summary>
/// One end of a pipe, as Python's <c>multiprocessing.connection.Connection</c>. Each direction is a queue in the
/// coordinator, so what is sent is never lost while the coordinator lives, and sends do not wait for the receiver
/// (they are written behind, as the queue's). Values are encoded with the type given to <see cref="Send{T}"/> and
/// decoded with the one given to <see cref="Recv{T}"/>. As with Python's file descriptors, every process that holds
/// a copy of an end (it created the pipe, or received the end as an argument or an item) holds it until it closes
/// its copy or ends: the end is closed for good, and the other end sees the end of the stream, only when every copy
/// is. As in Python, a value is sent as one byte message, its
/// encoding: <see cref="RecvBytes"/> receives what <see cref="Send{T}"/> sent as those bytes, and
/// <see cref="Recv{T}"/> decodes what <see cref="SendBytes"/> sent, so a process can relay messages it does not read. Closing either end ends the pipe: the other end receives what
/// was sent before, then <see cref="EndOfStreamException"/>.
/// </summary>
public sealed class AioConnection : IDisposable, IAsyncDisposable
{
    private readonly AioContext _context;
    private readonly IActorRef? _send;
    private readonly IActorRef? _receive;
    private readonly QueueChannel? _sendChannel;
    private readonly QueueChannel? _receiveChannel;
    private int _closed;

    /// <summary>A copy of an end held by this process: a new one (<paramref name="claim"/> null) or one received in transit.</summary>
    internal AioConnection(AioContext context, IActorRef? send, IActorRef? receive, long? claim = null)
    {
        _context = context;
        _send = send;
        _receive = receive;
        _sendChannel = send is null ? null : context.Ledger.QueueChannelOf(send);
        _sendChannel?.Writer.KnowMaxSize(0);
        _receiveChannel = receive is null ? null : context.Ledger.QueueChannelOf(receive);
        if (!context.IsDisposedOrLost)
        {
            context.Link.Post(EndKey, claim is { } token ? new PipeEnd.Claim(EndSide, token) : new PipeEnd.Hold(EndSide, EndOther));
        }
    }

    /// <summary>Whether this end can receive.</summary>
    public bool Readable => _receive is not null;

    /// <summary>Whether this end can send.</summary>
    public bool Writable => _send is not null;

    /// <summary>Whether <see cref="Close"/> was called on this end (in this process).</summary>
    public bool Closed => Volatile.Read(ref _closed) != 0;

    internal IActorRef? SendActor => _send;

    /// <summary>The queue that keeps the count of this end's copies (see <see cref="PipeEnd"/>): the one it receives from, else the one it sends to.</summary>
    internal IActorRef EndKey => _receive ?? _send!;

    internal PipeEnd.EndSide EndSide => _receive is null ? PipeEnd.EndSide.Sender : PipeEnd.EndSide.Receiver;

    /// <summary>The end's other queue, which closes with it: the one it sends to, when it is keyed by the one it receives from.</summary>
    internal IActorRef? EndOther => _receive is null ? null : _send;

    internal IActorRef? ReceiveActor => _receive;

    internal AioContext Context => _context;

    /// <summary>Sends <paramref name="value"/> to the other end.</summary>
    /// <exception cref="ArgumentException">The value cannot be sent to another process.</exception>
    /// <exception cref="IOException">The other end was closed.</exception>
    /// <exception cref="ObjectDisposedException">This end was closed.</exception>
    /// <exception cref="InvalidOperationException">This end cannot send.</exception>
    public void Send<T>(T value) => Blocking.Wait(() => SendAsync(value));

    /// <inheritdoc cref="Send{T}"/>
    public Task SendAsync<T>(T value, CancellationToken ct = default) => SendEncodedAsync(_context.Payloads.Serialize(value, "The value sent", nameof(value)), ct);

    /// <summary>Sends <paramref name="size"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> as one message (Python's <c>send_bytes</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the buffer.</exception>
    /// <inheritdoc cref="Send{T}" path="/exception"/>
    public void SendBytes(byte[] buffer, int offset = 0, int? size = null) => Blocking.Wait(() => SendBytesAsync(buffer, offset, size));

    /// <inheritdoc cref="SendBytes"/>
    public Task SendBytesAsync(byte[] buffer, int offset = 0, int? size = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, buffer.Length);
        var length = size ?? (buffer.Length - offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length, nameof(size));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, buffer.Length - offset, nameof(size));
        _context.Payloads.CheckSize(length, "The message sent", nameof(buffer));
        return SendEncodedAsync(buffer.AsSpan(offset, length).ToArray(), ct);
    }

    /// <summary>Receives the next value, waiting for it (Python's <c>recv</c>).</summary>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Stops waiting and throws <see cref="OperationCanceledException"/>; nothing is swallowed.</param>
    /// <exception cref="EndOfStreamException">The pipe was closed and everything sent before was received.</exception>
    /// <exception cref="TimeoutException">Nothing arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="ObjectDisposedException">This end was closed.</exception>
    /// <exception cref="InvalidOperationException">This end cannot receive.</exception>
    public T Recv<T>(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => RecvAsync<T>(timeout, ct));

    /// <inheritdoc cref="Recv{T}"/>
    public async Task<T> RecvAsync<T>(TimeSpan? timeout = null, CancellationToken ct = default) =>
        _context.Payloads.Deserialize<T>(await RecvEncodedAsync(timeout, ct).ConfigureAwait(false));

    /// <summary>Receives the next message as bytes (sent with <see cref="SendBytes"/>), as Python's <c>recv_bytes</c>.</summary>
    /// <param name="maxLength">The longest message accepted.</param>
    /// <param name="timeout">How long to wait; null waits without limit.</param>
    /// <param name="ct">Stops waiting and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="IOException">The message is longer than <paramref name="maxLength"/> (it is consumed, as in Python).</exception>
    /// <inheritdoc cref="Recv{T}" path="/exception"/>
    public byte[] RecvBytes(int? maxLength = null, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => RecvBytesAsync(maxLength, timeout, ct));

    /// <inheritdoc cref="RecvBytes"/>
    public async Task<byte[]> RecvBytesAsync(int? maxLength = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var bytes = await RecvEncodedAsync(timeout, ct).ConfigureAwait(false);
        return maxLength is { } max && bytes.Length > max
            ? throw new IOException($"The message is {bytes.Length} bytes, longer than maxLength {max}.")
            : bytes;
    }

    /// <summary>Receives the next message's bytes into <paramref name="buffer"/> at <paramref name="offset"/> and returns their count (Python's <c>recv_bytes_into</c>).</summary>
    /// <exception cref="BufferTooShortException">The message does not fit; it is in the exception's <see cref="BufferTooShortException.Received"/>.</exception>
    /// <inheritdoc cref="Recv{T}" path="/exception"/>
    public int RecvBytesInto(byte[] buffer, int offset = 0, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Blocking.Wait(() => RecvBytesIntoAsync(buffer, offset, timeout, ct));

    /// <inheritdoc cref="RecvBytesInto"/>
    public async Task<int> RecvBytesIntoAsync(byte[] buffer, int offset = 0, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, buffer.Length);
        var bytes = await RecvEncodedAsync(timeout, ct).ConfigureAwait(false);
        if (bytes.Length > buffer.Length - offset)
        {
            throw new BufferTooShortException(bytes);
        }

        bytes.CopyTo(buffer, offset);
        return bytes.Length;
    }

    /// <summary>Whether a value can be received now without waiting (Python's <c>poll()</c>); also true once the pipe is closed.</summary>
    public bool Poll() => Poll(TimeSpan.Zero);

    /// <summary>Whether a value can be received within <paramref name="timeout"/> (null: waits without limit); also true once the pipe is closed.</summary>
    /// <param name="timeout">How long to wait for one.</param>
    /// <param name="ct">Stops waiting and throws <see cref="OperationCanceledException"/>.</param>
    public bool Poll(TimeSpan? timeout, CancellationToken ct = default) => Blocking.Wait(() => PollAsync(timeout, ct));

    /// <inheritdoc cref="Poll(TimeSpan?, CancellationToken)"/>
    public Task<bool> PollAsync(TimeSpan? timeout = null, CancellationToken ct = default) =>
        ReceiveChannel().Reader.PollAsync(Requests.TimeoutMs(timeout), ct);

    /// <summary>
    /// Closes this process's copy of the end. Once every copy of it is closed (in every process that holds one) or
    /// its process ended, the pipe is closed from this end: the other end receives what was sent, then
    /// <see cref="EndOfStreamException"/>, and its sends fail.
    /// </summary>
    public void Close() => Blocking.Wait(CloseAsync);

    /// <inheritdoc cref="Close"/>
    public async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0 || _context.IsDisposedOrLost)
        {
            return;
        }

        // Earlier sends are delivered before the copy is let go.
        if (_sendChannel is not null)
        {
            await _sendChannel.Writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _context.Link.Tell(EndKey, new PipeEnd.Release(EndSide));
    }

    /// <summary>Closes this end (<see cref="Close"/>).</summary>
    public void Dispose() => Close();

    /// <summary>Closes this end (<see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private async Task SendEncodedAsync(byte[] bytes, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Closed, this);
        var channel = _sendChannel ?? throw new InvalidOperationException("This end of the pipe only receives (Pipe(duplex: false)).");
        try
        {
            await channel.Writer.PutAsync([bytes], WaitProtocol.Infinite, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
        {
            throw new IOException("The other end of the pipe was closed.", ex);
        }
    }

    private async Task<byte[]> RecvEncodedAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var (outcome, item) = await ReceiveChannel().Reader.TakeOneAsync(Requests.TimeoutMs(timeout), ct).ConfigureAwait(false);
        return outcome switch
        {
            WaitProtocol.Outcome.Granted => item!,
            WaitProtocol.Outcome.Closed => throw new EndOfStreamException("The pipe was closed and everything sent before was received."),
            _ => throw new TimeoutException($"Nothing arrived within {timeout}."),
        };
    }

    private QueueChannel ReceiveChannel()
    {
        ObjectDisposedException.ThrowIf(Closed, this);
        return _receiveChannel ?? throw new InvalidOperationException("This end of the pipe only sends (Pipe(duplex: false)).");
    }
}

/// <summary>Writes a connection as the paths of its two directions (nil for a missing one) and rebinds them on read.</summary>
internal sealed class ConnectionFormatter : IMessagePackFormatter<AioConnection?>
{
    public static readonly ConnectionFormatter Instance = new();

    [ThreadStatic]
    private static List<(IActorRef Key, PipeEnd.EndSide Side, long Token)>? t_transfers;

    public void Serialize(ref MessagePackWriter writer, AioConnection? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        // The copy travels held in transit, so that the sender may close its own copy at once.
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        value.Context.Link.Post(value.EndKey, new PipeEnd.Transfer(value.EndSide, token, value.EndOther));
        t_transfers?.Add((value.EndKey, value.EndSide, token));
        writer.WriteArrayHeader(3);
        writer.Write(token);
        foreach (var actor in new[] { value.SendActor, value.ReceiveActor })
        {
            if (actor is null)
            {
                writer.WriteNil();
            }
            else
            {
                writer.Write(value.Context.PathOf(actor));
            }
        }
    }

    public AioConnection? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var context = AioSerializerOptions.ContextOf(options);
        _ = reader.ReadArrayHeader();
        var token = reader.ReadInt64();
        var send = reader.TryReadNil() ? null : context.ResolveActor(reader.ReadString()!);
        var receive = reader.TryReadNil() ? null : context.ResolveActor(reader.ReadString()!);
        return new AioConnection(context, send, receive, claim: token);
    }

    /// <summary>
    /// Notes the copies in transit that <paramref name="encode"/> makes (an <see cref="AioProcess"/>'s arguments), so
    /// that they can be dropped if their receiver ends without claiming them.
    /// </summary>
    public static List<(IActorRef Key, PipeEnd.EndSide Side, long Token)> CollectTransfers(Action encode)
    {
        var outer = t_transfers;
        var transfers = new List<(IActorRef Key, PipeEnd.EndSide Side, long Token)>();
        t_transfers = transfers;
        try
        {
            encode();
            return transfers;
        }
        finally
        {
            t_transfers = outer;
        }
    }
}
