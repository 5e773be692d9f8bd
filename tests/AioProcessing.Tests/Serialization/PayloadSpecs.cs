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
