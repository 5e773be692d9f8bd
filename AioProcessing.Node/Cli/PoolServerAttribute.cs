namespace AioProcessing.Node.Cli;

/// <summary>Names, on the public API's assembly, its <see cref="IPoolServer"/> implementation.</summary>
/// <param name="implementation">A type with a public parameterless constructor that implements <see cref="IPoolServer"/>.</param>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class PoolServerAttribute(Type implementation) : Attribute
{
    /// <summary>The implementing type.</summary>
    public Type Implementation { get; } = implementation;
}
