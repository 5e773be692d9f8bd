using AioProcessing.Node.Security;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Security;

/// <summary>
/// Messages larger than one frame of the transport travel as fragments once a peer proved the secret, so that the
/// frame size (what a stranger can make a node buffer) stays small: cut and put back exactly, at every size around
/// the frame limit, and refused when they break the protocol.
/// </summary>
public sealed class FragmentSpecs : IClassFixture<ContextFixture>
{
    private readonly AioContext _context;

    public FragmentSpecs(ContextFixture fixture) => _context = fixture.Context;

    [Theory]
    [InlineData(1)]
    [InlineData(999)]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(4000)]
    [InlineData(100_000)]
    public void A_message_is_cut_into_frames_no_larger_than_the_limit_and_put_back_byte_for_byte(int length)
    {
        var message = new byte[length];
        new Random(length).NextBytes(message);
        var frames = Fragments.Split(message, 1000).ToList();
        Assert.All(frames, f => Assert.True(f.Length <= 1000 && f[0] == Fragments.Marker, $"frame of {f.Length} bytes"));

        var reassembly = new Fragments.Reassembly(maxMessageBytes: 1_000_000);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.True(reassembly.Add(frames[i].Span, out var whole, out var error), error);
            Assert.Equal(i == frames.Count - 1, whole is not null);
            if (whole is not null)
            {
                Assert.Equal(message, whole.ToByteArray());
            }
        }
    }

    [Fact]
    public void Fragments_that_break_the_protocol_are_refused_with_the_reason()
    {
        var frames = Fragments.Split(new byte[5000], 1000).ToList();
        Assert.False(new Fragments.Reassembly(1_000_000).Add(frames[1].Span, out _, out var outOfOrder));
        Assert.Contains("out of order", outOfOrder, StringComparison.Ordinal);
        Assert.False(new Fragments.Reassembly(4999).Add(frames[0].Span, out _, out var tooLarge));
        Assert.Contains("over the limit", tooLarge, StringComparison.Ordinal);
        var reassembly = new Fragments.Reassembly(1_000_000);
        Assert.True(reassembly.Add(frames[0].Span, out _, out _));
        Assert.False(reassembly.Add(frames[0].Span, out _, out var twice));
        Assert.Contains("out of order", twice, StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Payloads_of_every_size_around_the_frame_limit_cross_to_a_worker_and_back_intact()
    {
        // A pool task's call and its result each ride one message: sizes that straddle the 128 KiB frame (with the
        // envelope around them), and a few frames' worth.
        var frame = (int)_context.System.Settings.Config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size")!.Value;
        var sizes = Enumerable.Range(0, 24).Select(i => frame - 600 + (i * 40)).Concat([2 * frame, (3 * frame) + 17, 2_000_000]).ToArray();
        await using var pool = new AioPool(1, context: _context);
        foreach (var size in sizes)
        {
            var data = new byte[size];
            new Random(size).NextBytes(data);
            var back = await pool.ApplyAsync<byte[]>(Echo, [data]).WaitAsync(Bounds.Remote);
            Assert.True(data.AsSpan().SequenceEqual(back), $"{size} bytes came back different");
        }
    }

    private static byte[] Echo(byte[] data) => data;
}
