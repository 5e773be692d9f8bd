using AioProcessing.Serialization;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Serialization;

/// <summary>
/// Values whose shape cannot be sent by copy (cycles, nesting deeper than another process may read) are refused at
/// the call that tried, with an <see cref="ArgumentException"/> that says what and where; the process lives on,
/// nothing is half-sent, and whatever is accepted is read back whole.
/// </summary>
public sealed class GraphShapeSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public GraphShapeSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_cyclic_graph_put_on_a_queue_is_refused_at_the_call_and_the_queue_stays_empty()
    {
        var queue = new AioQueue<Cyc>(context: _context);
        var node = new Cyc();
        node.Next = node;
        var ex = Assert.Throws<ArgumentException>(() => queue.Put(node));
        Assert.Contains("cycle", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cyc → Cyc again", ex.Message, StringComparison.Ordinal);

        // A longer cycle, through a list, and asynchronously.
        var a = new Cyc { Items = [] };
        a.Items.Add(new Cyc { Next = new Cyc { Next = a } });
        Assert.Contains("cycle", (await Assert.ThrowsAsync<ArgumentException>(() => queue.PutAsync(a))).Message, StringComparison.Ordinal);

        Assert.Equal(0, await queue.CountAsync());
        Assert.True(queue.IsEmpty);

        // The same object twice, side by side, is no cycle: it is sent as two copies.
        var shared = new Cyc();
        queue.Put(new Cyc { Next = shared, Items = [shared] });
        var back = await queue.GetAsync(Bounds.Remote);
        Assert.NotNull(back.Next);
        Assert.Single(back.Items!);
    }

    [Theory(Timeout = Bounds.Spec)]
    [InlineData(600)]
    [InlineData(100_000)]
    public async Task A_chain_deeper_than_the_limit_is_refused_at_put_naming_the_limit_and_nothing_is_lost(int length)
    {
        var queue = new AioQueue<Cyc>(context: _context);
        queue.Put(Chain(3));
        var ex = Assert.Throws<ArgumentException>(() => queue.Put(Chain(length)));
        Assert.Contains($"deeper than {GraphGuard.MaxDepth} levels", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cyc → Cyc → …", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, await queue.CountAsync());
        Assert.Equal(3, Length(await queue.GetAsync(Bounds.Remote)));
        Assert.Equal(0, await queue.CountAsync());
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task The_deepest_value_of_every_shape_that_put_accepts_is_read_back_whole()
    {
        // For each shape, the deepest nesting Put accepts (found by trying) must come back out of the queue: the
        // writer's limit may never let through what the reader would refuse.
        var shapes = new (string Name, Func<int, object> Make, Func<object?, int> Measure)[]
        {
            ("class chain", n => Chain(n), v => Length((Cyc?)v)),
            ("object-typed chain", n => ObjectChain(n), v => ObjectLength(v)),
            ("nested object[]", n => NestedArrays(n), v => ArrayDepth(v)),
            ("nested List<object>", n => NestedLists(n), v => ListDepth(v)),
        };
        var queue = new AioQueue<object>(context: _context);
        foreach (var (name, make, measure) in shapes)
        {
            var deepest = 0;
            for (var n = 1; n <= GraphGuard.MaxDepth + 10; n++)
            {
                try
                {
                    _context.Payloads.Serialize<object>(make(n), "probe", null);
                    deepest = n;
                }
                catch (ArgumentException ex) when (ex.Message.Contains("deeper than", StringComparison.Ordinal))
                {
                    break;
                }
            }

            Assert.True(deepest >= GraphGuard.MaxDepth / 2 - 2, $"{name}: only {deepest} levels accepted");
            Assert.True(deepest <= GraphGuard.MaxDepth, $"{name}: {deepest} levels accepted");
            await queue.PutAsync(make(deepest));
            Assert.Equal(deepest, measure(await queue.GetAsync(Bounds.Remote)));
        }
    }

    [Fact]
    public void A_cyclic_process_argument_or_captured_variable_is_refused_when_the_process_is_made()
    {
        var node = new Cyc();
        node.Next = node;
        var argument = Assert.Throws<ArgumentException>(() => new AioProcess(_context, Consume, node));
        Assert.Contains("argument 0 ('cyc')", argument.Message, StringComparison.Ordinal);
        Assert.Contains("cycle", argument.Message, StringComparison.Ordinal);

        var capturing = Capturing(node);
        var captured = Assert.Throws<ArgumentException>(() => new AioProcess(_context, capturing));
        Assert.Contains("captured variable 'node'", captured.Message, StringComparison.Ordinal);
        Assert.Contains("cycle", captured.Message, StringComparison.Ordinal);

        // A lambda that captures itself is a cycle too.
        var recurse = SelfCapturing();
        Assert.Contains("cycle", Assert.Throws<ArgumentException>(() => new AioProcess(_context, recurse)).Message, StringComparison.Ordinal);

        var deep = Assert.Throws<ArgumentException>(() => new AioProcess(_context, Consume, Chain(100_000)));
        Assert.Contains("deeper than", deep.Message, StringComparison.Ordinal);
    }

    private static void Consume(Cyc cyc) => GC.KeepAlive(cyc);

    // Made outside the spec's own lambdas, which capture the spec itself.
    private static Action Capturing(Cyc node) => () => Consume(node);

    private static Action SelfCapturing()
    {
        Action? recurse = null;
        recurse = () => recurse!();
        return recurse;
    }

    private static Cyc Chain(int length)
    {
        var head = new Cyc();
        for (var i = 1; i < length; i++)
        {
            head = new Cyc { Next = head };
        }

        return head;
    }

    private static int Length(Cyc? chain)
    {
        var n = 0;
        for (; chain is not null; chain = chain.Next)
        {
            n++;
        }

        return n;
    }

    private static ONode ObjectChain(int length)
    {
        var head = new ONode();
        for (var i = 1; i < length; i++)
        {
            head = new ONode { Next = head };
        }

        return head;
    }

    private static int ObjectLength(object? chain)
    {
        var n = 0;
        for (; chain is ONode node; chain = node.Next)
        {
            n++;
        }

        return n;
    }

    private static object?[] NestedArrays(int depth)
    {
        object?[] inner = [1];
        for (var i = 1; i < depth; i++)
        {
            inner = [inner];
        }

        return inner;
    }

    private static int ArrayDepth(object? value)
    {
        var n = 0;
        for (; value is object?[] array; value = array[0])
        {
            n++;
        }

        return n;
    }

    private static List<object?> NestedLists(int depth)
    {
        var inner = new List<object?> { 1 };
        for (var i = 1; i < depth; i++)
        {
            inner = [inner];
        }

        return inner;
    }

    private static int ListDepth(object? value)
    {
        var n = 0;
        for (; value is System.Collections.IList list; value = list[0])
        {
            n++;
        }

        return n;
    }

    /// <summary>A node that can refer to itself.</summary>
    public sealed class Cyc
    {
        public Cyc? Next { get; set; }

        public List<Cyc>? Items { get; set; }
    }

    /// <summary>A node whose link is declared as object (written with its type name).</summary>
    public sealed class ONode
    {
        public object? Next { get; set; }
    }
}
