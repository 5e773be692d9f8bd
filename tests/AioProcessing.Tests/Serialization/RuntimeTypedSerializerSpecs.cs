using AioProcessing.Serialization;
using AioProcessing.Tests.Support;
using MessagePack;
using Xunit;

namespace AioProcessing.Tests.Serialization;

/// <summary>
/// The run-time-typed path replaces MessagePack's non-generic overloads (which compile expression trees for each
/// type), so it must be indistinguishable from them: the same bytes, the same values back, the same failures.
/// </summary>
public sealed class RuntimeTypedSerializerSpecs : IClassFixture<ContextFixture>
{
    private readonly MessagePackSerializerOptions _options;

    public RuntimeTypedSerializerSpecs(ContextFixture fixture) => _options = fixture.Context.Payloads.Options;

    public static TheoryData<Type, object?> Values => new()
    {
        { typeof(int), 42 },
        { typeof(long), -7L },
        { typeof(double), 2.5 },
        { typeof(string), "text" },
        { typeof(string), null },
        { typeof(object), 3 },
        { typeof(object), null },
        { typeof(int?), null },
        { typeof(int?), 5 },
        { typeof(int[]), new[] { 1, 2, 3 } },
        { typeof(List<string>), new List<string> { "a", "b" } },
        { typeof(Dictionary<string, int>), new Dictionary<string, int> { ["k"] = 1 } },
        { typeof(ValueTuple<int, string>), (1, "one") },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_value_encodes_to_the_bytes_of_MessagePacks_non_generic_overloads_and_decodes_back(Type type, object? value)
    {
        var expected = MessagePackSerializer.Serialize(type, value, _options);

        Assert.Equal(expected, RuntimeTypedSerializer.Serialize(type, value, _options));

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        RuntimeTypedSerializer.Serialize(type, ref writer, value, _options);
        writer.Flush();
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());

        var reader = new MessagePackReader(expected);
        var decoded = RuntimeTypedSerializer.Deserialize(type, ref reader, _options);
        Assert.Equal(MessagePackSerializer.Deserialize(type, expected, _options), decoded);
        Assert.True(reader.End, "the whole value was read");
    }

    [Fact]
    public void Null_as_a_value_type_fails_as_MessagePacks_non_generic_overload_fails()
    {
        var expected = Record.Exception(() => MessagePackSerializer.Serialize(typeof(int), (object?)null, _options));

        var actual = Record.Exception(() => RuntimeTypedSerializer.Serialize(typeof(int), null, _options));

        Assert.NotNull(expected);
        Assert.IsType(expected.GetType(), actual);
    }

    [Fact]
    public void Bytes_of_another_type_fail_as_MessagePacks_non_generic_overload_fails()
    {
        var bytes = MessagePackSerializer.Serialize("not a number", _options);
        var expected = Record.Exception(() => MessagePackSerializer.Deserialize(typeof(int), bytes, _options));

        var actual = Record.Exception(() =>
        {
            var reader = new MessagePackReader(bytes);
            RuntimeTypedSerializer.Deserialize(typeof(int), ref reader, _options);
        });

        Assert.IsType<MessagePackSerializationException>(expected);
        Assert.IsType<MessagePackSerializationException>(actual);
    }
}
