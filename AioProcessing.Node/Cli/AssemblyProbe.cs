using System.Runtime.Loader;

namespace AioProcessing.Node.Cli;

/// <summary>Lets this program load what its own folder lacks (AioProcessing.Api, the application's assemblies) from other folders.</summary>
internal static class AssemblyProbe
{
    /// <summary>Resolves assemblies the default context cannot find from <paramref name="directories"/>, first match wins.</summary>
    public static void Install(IReadOnlyList<string> directories) =>
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            foreach (var dir in directories)
            {
                var candidate = Path.Combine(dir, name.Name + ".dll");
                if (File.Exists(candidate))
                {
                    return context.LoadFromAssemblyPath(candidate);
                }
            }

            return null;
        };
}
