using System.Buffers;
using AioProcessing.Actors.Serialization;
using MessagePack;

namespace AioProcessing.Serialization;

/// <summary>
/// MessagePack options that also carry the context facades are rebound to when read. Reading is hardened for data
/// from other processes: MessagePack's untrusted-data limits (depth, collision-resistant hashing), and a type named
/// in a frame (values declared as <see cref="object"/>) is refused when it could not have been sent in the first
/// place (streams, threads, handles, processes, disposables: <see cref="TransferPolicy"/>), on top of MessagePack's
/// own list of dangerous types.
/// </summary>
internal sealed class AioSerializerOptions : MessagePackSerializerOptions
{
    public AioSerializerOptions(AioContext context)
        : base(Standard.WithResolver(AioResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData)) => Context = context;

    private AioSerializerOptions(AioSerializerOptions copyFrom)
        : base(copyFrom) => Context = copyFrom.Context;

    public AioContext Context { get; }

    public static AioContext ContextOf(MessagePackSerializerOptions options) =>
        (options as AioSerializerOptions)?.Context
        ?? throw new InvalidOperationException("AioProcessing facades can only be read with the payload serializer of an AioContext.");

    protected override MessagePackSerializerOptions Clone() => new AioSerializerOptions(this);

    /// <inheritdoc />
    public override void ThrowIfDeserializingTypeIsDisallowed(Type type)
    {
        base.ThrowIfDeserializingTypeIsDisallowed(type);
        if (TransferPolicy.Refusal(type) is { } why)
        {
            throw new MessagePackSerializationException($"Refused to build {TransferPolicy.Describe(type)} from another process's data: {why}.");
        }
    }
}

/// <summary>
/// Encodes user values (arguments, captured variables, results, queue items) for another process, and checks
/// them against <c>aio.payload.max-bytes</c>. A value that cannot be sent is refused here, at the call that tried,
/// with an <see cref="ArgumentException"/> naming where in the value the culprit sits.
/// </summary>
internal sealed class PayloadSerializer
{
    private readonly AioSerializerOptions _options;

    public PayloadSerializer(AioContext context, int maxBytes)
    {
        _options = new AioSerializerOptions(context);
        MaxBytes = maxBytes;
    }

    public int MaxBytes { get; }

    public MessagePackSerializerOptions Options => _options;

    /// <summary>Encodes <paramref name="value"/> as <typeparamref name="T"/>; <paramref name="what"/> names it in errors.</summary>
    public byte[] Serialize<T>(T value, string what, string? paramName)
    {
        byte[] bytes;
        try
        {
            bytes = MessagePackSerializer.Serialize(value, _options);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Refused(ex, what, paramName);
        }

        CheckSize(bytes.Length, what, paramName);
        return bytes;
    }

    /// <summary>Encodes <paramref name="value"/> as <paramref name="type"/> (known only at run time, e.g. a task's return type).</summary>
    public byte[] SerializeAs(Type type, object? value, string what)
    {
        byte[] bytes;
        try
        {
            bytes = RuntimeTypedSerializer.Serialize(type, value, _options);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Refused(ex, what, null);
        }

        CheckSize(bytes.Length, what, null);
        return bytes;
    }

    public T Deserialize<T>(byte[] bytes) => MessagePackSerializer.Deserialize<T>(bytes, _options);

    /// <summary>
    /// Decodes an array that was encoded as <typeparamref name="T"/>[] into <paramref name="destination"/>, which it
    /// must fill exactly: an array of numbers is copied there from its raw bytes, with no array of its own between.
    /// </summary>
    /// <exception cref="MessagePackSerializationException">The array's length is not the destination's.</exception>
    public void DeserializeInto<T>(byte[] bytes, Span<T> destination)
    {
        var reader = new MessagePackReader(bytes);
        if (_options.Resolver.GetFormatterWithVerify<T[]>() is IDecodesInto<T> raw)
        {
            raw.DeserializeInto(ref reader, destination);
            return;
        }

        var values = MessagePackSerializer.Deserialize<T[]>(ref reader, _options);
        if (values is null || values.Length != destination.Length)
        {
            throw new MessagePackSerializationException($"Expected {destination.Length} values of {typeof(T).Name}; got {values?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.");
        }

        values.CopyTo(destination);
    }

    /// <summary>Encodes a call: the delegate, then each argument as its parameter's type.</summary>
    public byte[] SerializeCall(Delegate target, object?[] args, IReadOnlyList<(Type Type, string Name)> parameters, string what)
    {
        // Pooled: a map's chunk is half a megabyte, and a fresh array for each growth step would cost more than the copy.
        using var buffer = new PooledBufferWriter(256);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(1 + args.Length);
        try
        {
            RuntimeTypedSerializer.Serialize(typeof(Delegate), ref writer, target, _options);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Refused(ex, $"{what} target {target.Method.Name}", "target");
        }

        for (var i = 0; i < args.Length; i++)
        {
            try
            {
                RuntimeTypedSerializer.Serialize(parameters[i].Type, ref writer, args[i], _options);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw Refused(ex, $"{what} argument {i} ('{parameters[i].Name}')", "args");
            }
        }

        writer.Flush();
        CheckSize(buffer.WrittenCount, $"{what} target with its arguments", "args");
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes what <see cref="SerializeCall"/> wrote.</summary>
    public (Delegate Target, object?[] Args) DeserializeCall(byte[] bytes)
    {
        var reader = new MessagePackReader(bytes);
        var count = reader.ReadArrayHeader();
        var target = (Delegate)RuntimeTypedSerializer.Deserialize(typeof(Delegate), ref reader, _options)!;
        var parameters = target.Method.DeclaringType is null ? [] : CallShape.Parameters(target);
        var args = new object?[count - 1];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = RuntimeTypedSerializer.Deserialize(parameters[i].Type, ref reader, _options);
        }

        return (target, args);
    }

    /// <summary>Throws <see cref="PayloadTooLargeException"/> when <paramref name="size"/> bytes exceed <c>aio.payload.max-bytes</c>.</summary>
    public void CheckSize(long size, string what, string? paramName)
    {
        if (size > MaxBytes)
        {
            throw new PayloadTooLargeException(what, size, MaxBytes, paramName);
        }
    }

    private static ArgumentException Refused(Exception ex, string what, string? paramName) =>
        new(TransferException.At(ex, null).Describe($"{what} cannot be sent to another process"), paramName, ex);
}

/// <summary>The parameters a delegate is called with, and how a decoded call is run.</summary>
internal static class CallShape
{
    /// <summary>
    /// Runs a decoded call and awaits what it returns (a <see cref="Task"/> or <see cref="ValueTask"/>); the target's
    /// own exception comes out as itself, not wrapped in a <see cref="System.Reflection.TargetInvocationException"/>.
    /// </summary>
    public static Task InvokeAsync(Delegate target, object?[] args) => InvokeForResultAsync(target, args);

    /// <summary>Runs a decoded call and returns its result with the type to encode it as (a task's result type; object for none).</summary>
    public static async Task<(object? Value, Type Type)> InvokeForResultAsync(Delegate target, object?[] args)
    {
        object? result;
        try
        {
            result = target.DynamicInvoke(args);
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }

        var declared = target.Method.ReturnType;
        if (result is Task task)
        {
            await task.ConfigureAwait(false);
            return declared.IsGenericType && declared.GetGenericTypeDefinition() == typeof(Task<>)
                ? (declared.GetProperty(nameof(Task<int>.Result))!.GetValue(task), declared.GetGenericArguments()[0])
                : (null, typeof(object));
        }

        if (result is ValueTask valueTask)
        {
            await valueTask.ConfigureAwait(false);
            return (null, typeof(object));
        }

        if (declared.IsGenericType && declared.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            var asTask = (Task)declared.GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(result, null)!;
            await asTask.ConfigureAwait(false);
            return (asTask.GetType().GetProperty(nameof(Task<int>.Result))!.GetValue(asTask), declared.GetGenericArguments()[0]);
        }

        return declared == typeof(void) ? (null, typeof(object)) : (result, declared);
    }

    public static IReadOnlyList<(Type Type, string Name)> Parameters(Delegate target)
    {
        var invoke = target.GetType().GetMethod("Invoke")!.GetParameters();
        var declared = target.Method.GetParameters();
        // A delegate closed over its first argument (an extension method group) has one parameter fewer than its method.
        var offset = declared.Length - invoke.Length;
        return invoke.Select((p, i) => (p.ParameterType, (offset >= 0 ? declared[i + offset].Name : p.Name) ?? $"arg{i}")).ToArray();
    }
}
