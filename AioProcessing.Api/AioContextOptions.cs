namespace AioProcessing;

/// <summary>How <see cref="AioContext.StartAsync"/> starts a coordinator.</summary>
public sealed class AioContextOptions
{
    /// <summary>The address the coordinator binds. Loopback unless set: other machines can only join when this is reachable.</summary>
    public string HostName { get; set; } = "127.0.0.1";

    /// <summary>The port the coordinator binds; 0 (the default) picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The actor system name shared by the coordinator and its nodes.</summary>
    public string SystemName { get; set; } = "aio";

    /// <summary>
    /// The secret worker nodes must present to join. Generated when null. Spawned nodes receive it on their
    /// standard input, never on a command line.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>
    /// How many worker nodes to keep started and idle from the start, so that <see cref="AioProcess.Start"/> takes one
    /// over instead of starting a process (tens of milliseconds instead of hundreds). Each idle node is an OS process
    /// of about 100 MB using about 1% of a core. Null uses <c>aio.node.warm-nodes</c> (1 by default), whose nodes start
    /// after the first process start and are retired after <c>aio.node.warm-idle-timeout</c> (60 s) without a start.
    /// </summary>
    public int? WarmNodes { get; set; }

    /// <summary>HOCON layered over the defaults of <c>hocon/aio-node.conf</c>, for the coordinator and every node it spawns.</summary>
    public string? Hocon { get; set; }

    /// <summary>
    /// HOCON files layered under <see cref="Hocon"/> and over the defaults, for the coordinator and every node it
    /// spawns; a later file overrides an earlier one. Read when the context starts.
    /// </summary>
    public IList<string> HoconFiles { get; } = [];

    /// <summary>
    /// Where the coordinator's logs (Akka's and the library's) go. Null (the default) writes nothing: set it, or
    /// <c>akka.loglevel</c> in <see cref="Hocon"/> for standard error. <c>AddAioProcessing</c> sets the host's.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The HOCON text every node of the context is configured with: the files, then <see cref="Hocon"/>.</summary>
    /// <exception cref="ArgumentException">A file cannot be read.</exception>
    internal string? EffectiveHocon()
    {
        if (HoconFiles.Count == 0)
        {
            return Hocon;
        }

        var parts = new List<string>();
        foreach (var file in HoconFiles)
        {
            try
            {
                parts.Add(File.ReadAllText(file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"AioContextOptions.HoconFiles: cannot read '{file}': {ex.Message}", nameof(HoconFiles), ex);
            }
        }

        if (Hocon is not null)
        {
            parts.Add(Hocon);
        }

        // In HOCON text a later value of a key replaces an earlier one, so concatenation is layering.
        return string.Join(Environment.NewLine, parts);
    }
}
