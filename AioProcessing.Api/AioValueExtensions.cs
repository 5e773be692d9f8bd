using System.Numerics;

namespace AioProcessing;

/// <summary>Atomic arithmetic on shared numbers.</summary>
public static class AioValueExtensions
{
    /// <summary>Adds <paramref name="delta"/> atomically and returns the new value.</summary>
    public static T Increment<T>(this AioValue<T> value, T delta)
        where T : INumber<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Update(v => v + delta);
    }

    /// <inheritdoc cref="Increment{T}"/>
    public static Task<T> IncrementAsync<T>(this AioValue<T> value, T delta, CancellationToken ct = default)
        where T : INumber<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.UpdateAsync(v => v + delta, ct);
    }
}
