using Akka.Configuration;

namespace AioProcessing.Node.Hosting;

/// <summary>The HOCON defaults of <c>hocon/</c>, embedded in this assembly at build time.</summary>
public static class AioHocon
{
    private static readonly Lazy<Config> LibraryDefaults = new(() => WithEnvironment(Load("aio-node.conf")));
    private static readonly Lazy<Config> NodeDefaults = new(() => Load("aio-own-nodes.conf").WithFallback(LibraryDefaults.Value));

    /// <summary>The defaults every node the library starts itself begins from (<c>hocon/aio-own-nodes.conf</c> over <c>hocon/aio-node.conf</c>).</summary>
    public static Config Defaults => NodeDefaults.Value;

    /// <summary>The defaults an application's own actor system gets under its settings (<c>hocon/aio-node.conf</c>): no logging keys.</summary>
    public static Config Library => LibraryDefaults.Value;

    /// <summary>
    /// Defaults the environment changes for a whole process tree, below any HOCON a program gives: <c>AIO_LANE=off</c>
    /// (or <c>0</c>) turns the same-host lane off, so a test suite can run every spec over Akka.Remote alone.
    /// </summary>
    private static Config WithEnvironment(Config defaults) =>
        Environment.GetEnvironmentVariable("AIO_LANE") is "off" or "0" or "false"
            ? ConfigurationFactory.ParseString("aio.lane.enabled = off").WithFallback(defaults)
            : defaults;

    private static Config Load(string file)
    {
        var name = "AioProcessing.hocon." + file;
        using var stream = typeof(AioHocon).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded HOCON resource '{name}' is missing from {typeof(AioHocon).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
