using AioProcessing.Serialization;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Serialization;

/// <summary>What may be sent to another process, checked without starting one: encode, then decode in this process.</summary>
public sealed class PayloadSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public PayloadSpecs(ContextFixture fixture) => _context = fixture.Context;

    private (Delegate Target, object?[] Args) RoundTrip(Delegate target, params object?[] args)
    {
        var bytes = _context.Payloads.SerializeCall(target, args, CallShape.Parameters(target), "The call");
        return _context.Payloads.DeserializeCall(bytes);
    }

    [Fact]
    public void A_lambda_travels_with_its_captured_values_by_value_and_its_facades_by_reference()
    {
        var context = _context;
        var factor = 7;
        var queue = new AioQueue<int>(context: context);
        Action<int> target = x => queue.Put(x * factor);

        var (copy, args) = RoundTrip(target, 6);
        factor = 1000; // the copy was taken when it was encoded

        copy.DynamicInvoke(args);
        Assert.Equal(42, queue.Get(timeout: Bounds.Remote));
        Assert.NotSame(target.Target, copy.Target);
    }

    [Fact]
    public void A_static_method_with_arguments_of_many_shapes_round_trips()
    {
        var queue = new AioQueue<string>(context: _context);
        var (copy, args) = RoundTrip(Describe, queue, new[] { 1, 2, 3 }, new Point(3, 4), (object)12, new List<string> { "a", "b" });
        copy.DynamicInvoke(args);
        Assert.Equal("1,2,3|Point { X = 3, Y = 4 }|Int32 12|a+b", queue.Get(timeout: Bounds.Remote));
    }

    [Fact]
    public void A_lambda_capturing_a_stream_is_refused_naming_the_variable()
    {
        using var stream = new MemoryStream();
        Action target = () => stream.WriteByte(1);
        var ex = Assert.Throws<ArgumentException>(() => new AioProcess(_context, target));
        Assert.Contains("captured variable 'stream'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("System.IO.MemoryStream", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stream is bound to the process", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lambda_capturing_a_thread_is_refused_naming_the_variable()
    {
        var worker = new Thread(() => { });
        Action target = () => worker.Join();
        var ex = Assert.Throws<ArgumentException>(() => new AioProcess(_context, target));
        Assert.Contains("captured variable 'worker'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("thread cannot move", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_object_whose_state_is_private_is_refused_naming_its_field()
    {
        var counter = new PrivateCounter();
        Action target = () => counter.Touch();
        var ex = Assert.Throws<ArgumentException>(() => new AioProcess(_context, target));
        Assert.Contains("captured variable 'counter'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("non-public field '_count'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unserializable_argument_is_refused_naming_its_position_and_parameter()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AioProcess(_context, TakesAnything, 1, Task.CompletedTask));
        Assert.Equal("args", ex.ParamName);
        Assert.Contains("argument 1 ('value')", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a task is a promise", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arguments_that_do_not_fit_the_target_are_refused()
    {
        Assert.Contains("takes 2 argument(s) but 1 were given", Assert.Throws<ArgumentException>(() => new AioProcess(_context, TakesAnything, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("must be Int32, not String", Assert.Throws<ArgumentException>(() => new AioProcess(_context, TakesAnything, "x", 2)).Message, StringComparison.Ordinal);
        Assert.Contains("must be Int32, not null", Assert.Throws<ArgumentException>(() => new AioProcess(_context, TakesAnything, null, 2)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_multicast_delegate_is_refused()
    {
        Action target = Nothing;
        target += Nothing;
        var ex = Assert.Throws<ArgumentException>(() => new AioProcess(_context, target));
        Assert.Contains("multicast", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lambda_capturing_this_of_an_unserializable_class_is_refused_naming_this()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AioProcess(_context, (Action)(() => _context.ThrowIfDisposed())));
        Assert.Contains("the captured 'this'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(PayloadSpecs), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_over_the_payload_limit_is_refused_at_the_call_site()
    {
        await using var small = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.payload.max-bytes = 10000" });
        var queue = new AioQueue<byte[]>(context: small);
        var tooLarge = Assert.Throws<PayloadTooLargeException>(() => queue.Put(new byte[20_000]));
        Assert.Equal("item", tooLarge.ParamName);
        Assert.Equal(10_000, tooLarge.Limit);
        Assert.True(tooLarge.Size > 20_000);

        queue.Put(new byte[5_000]);
        Assert.Equal(5_000, queue.Get(timeout: Bounds.Remote).Length);
        Assert.Throws<PayloadTooLargeException>(() => new AioProcess(small, TakesBytes, new byte[20_000]));
    }

    [Fact]
    public void Arrays_of_numbers_travel_as_their_bytes_exactly_typed_or_boxed_and_null_stays_null()
    {
        AssertRoundTrips(new[] { int.MinValue, -1, 0, 1, int.MaxValue });
        AssertRoundTrips(new[] { long.MinValue, 0L, long.MaxValue });
        AssertRoundTrips(new[] { double.NaN, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue });
        AssertRoundTrips(new[] { float.NaN, 1.5f });
        AssertRoundTrips(new[] { (short)-2, short.MaxValue });
        AssertRoundTrips(new[] { ushort.MaxValue });
        AssertRoundTrips(new[] { uint.MaxValue });
        AssertRoundTrips(new[] { ulong.MaxValue });
        AssertRoundTrips(new[] { sbyte.MinValue });
        AssertRoundTrips(new[] { 'a', '\uffff' });
        AssertRoundTrips(Array.Empty<int>());
        AssertRoundTrips(Enumerable.Range(0, 100_000).Select(i => (long)i * i).ToArray());
        Assert.Null(_context.Payloads.Deserialize<int[]?>(_context.Payloads.Serialize<int[]?>(null, "The value", "value")));

        // Four bytes per int after a 4-byte extension header (ext 16): the bytes themselves, not an encoding per element.
        Assert.Equal(4 + 4_000, _context.Payloads.Serialize(new int[1_000], "The value", "value").Length);

        // Typed as object, the value's type name travels with the same bytes.
        var boxed = _context.Payloads.Deserialize<object>(_context.Payloads.Serialize<object>(new[] { 3.5, -1.0 }, "The value", "value"));
        Assert.Equal(new[] { 3.5, -1.0 }, Assert.IsType<double[]>(boxed));
    }

    [Fact]
    public void Bytes_that_do_not_make_whole_numbers_are_refused_with_a_reason()
    {
        // Seven bytes cannot hold ints, and another extension is not this encoding: each refused, never read past.
        var partial = Assert.Throws<MessagePack.MessagePackSerializationException>(() => _context.Payloads.Deserialize<int[]>(Ext8(41, new byte[7])));
        Assert.Contains("a multiple of 4 bytes", partial.InnerException?.Message ?? partial.Message, StringComparison.Ordinal);
        var other = Assert.Throws<MessagePack.MessagePackSerializationException>(() => _context.Payloads.Deserialize<int[]>(Ext8(40, new byte[8])));
        Assert.Contains("got extension 40", other.InnerException?.Message ?? other.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => _context.Payloads.Deserialize<long[]>(_context.Payloads.Serialize(new[] { 1L, 2L }, "The value", "value")[..^1]));
    }

    [Fact]
    public void An_array_decodes_into_memory_the_caller_owns_only_when_its_length_is_the_destinations()
    {
        // Numbers (copied from their bytes) and strings (decoded one by one): each lands in the middle of a larger array.
        var numbers = new long[7];
        _context.Payloads.DeserializeInto(_context.Payloads.Serialize(new[] { -5L, long.MaxValue, 9L }, "The value", "value"), numbers.AsSpan(2, 3));
        Assert.Equal(new[] { 0L, 0L, -5L, long.MaxValue, 9L, 0L, 0L }, numbers);
        var words = new string?[4];
        _context.Payloads.DeserializeInto(_context.Payloads.Serialize(new[] { "a", "bc" }, "The value", "value"), words.AsSpan(1, 2));
        Assert.Equal(new[] { null, "a", "bc", null }, words);

        // A count that does not fit is refused, naming both; nothing is written.
        var wrong = Assert.Throws<MessagePack.MessagePackSerializationException>(() => _context.Payloads.DeserializeInto(_context.Payloads.Serialize(new[] { 1L, 2L }, "The value", "value"), new long[3]));
        Assert.Contains("Expected 3 values of Int64", wrong.Message, StringComparison.Ordinal);
        var fewer = Assert.Throws<MessagePack.MessagePackSerializationException>(() => _context.Payloads.DeserializeInto(_context.Payloads.Serialize(new[] { "a" }, "The value", "value"), new string[2]));
        Assert.Contains("got 1", fewer.Message, StringComparison.Ordinal);
    }

    private void AssertRoundTrips<T>(T[] value)
    {
        var bytes = _context.Payloads.Serialize(value, "The value", "value");
        Assert.Equal(value, _context.Payloads.Deserialize<T[]>(bytes));
    }

    // A MessagePack ext 8: 0xc7, length, type, data.
    private static byte[] Ext8(sbyte type, byte[] data) => [0xc7, (byte)data.Length, (byte)type, .. data];

    private static void Describe(AioQueue<string> output, int[] numbers, Point point, object boxed, List<string> words) =>
        output.Put($"{string.Join(',', numbers)}|{point}|{boxed.GetType().Name} {boxed}|{string.Join('+', words)}");

    private static void TakesAnything(int number, object value)
    {
    }

    private static void TakesBytes(byte[] bytes)
    {
    }

    private static void Nothing()
    {
    }

    public sealed record Point(int X, int Y);

    private sealed class PrivateCounter
    {
        private int _count;

        public void Touch() => _count++;
    }
}
