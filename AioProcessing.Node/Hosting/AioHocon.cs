using Akka.Configuration;

namespace AioProcessing.Node.Hosting;

/// <summary>The HOCON defaults of <c>hocon/</c>, embedded in this assembly at build time.</summary>
public static class AioHocon
{
    private static readonly Lazy<Config> NodeDefaults = new(() => Load("aio-node.conf"));

    /// <summary>The defaults every node starts from (<c>hocon/aio-node.conf</c>).</summary>
    public static Config Defaults => NodeDefaults.Value;

    private static Config Load(string file)
    {
        var name = "AioProcessing.hocon." + file;
        using var stream = typeof(AioHocon).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded HOCON resource '{name}' is missing from {typeof(AioHocon).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
