namespace AioProcessing.Serialization;

/// <summary>
/// A type as text that two processes agree on whatever assemblies' versions they run (no assembly names), used to
/// refuse binding a named typed primitive (a queue of <c>int</c>) as another type (a queue of <c>string</c>).
/// </summary>
internal static class TypeShape
{
    /// <summary>E.g. <c>System.Collections.Generic.List&lt;System.Int32&gt;</c>.</summary>
    public static string Of(Type type)
    {
        if (type.IsArray)
        {
            return Of(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (!type.IsGenericType)
        {
            return type.FullName ?? type.Name;
        }

        var definition = type.GetGenericTypeDefinition().FullName ?? type.Name;
        return $"{definition[..definition.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(Of))}>";
    }
}
