namespace AioProcessing.Node.Cli;

/// <summary>
/// What the node program's <c>join</c> command runs: serving a named pool of a coordinator. The public API implements
/// it (the node program cannot reference the API, which references the node program), names the implementation with
/// <see cref="PoolServerAttribute"/> on its assembly, and the command loads that assembly from its probe folders.
/// </summary>
public interface IPoolServer
{
    /// <summary>Joins the coordinator and serves <paramref name="pool"/> with <paramref name="slots"/> task slots until the pool closes or <paramref name="ct"/> stops it; returns the exit code.</summary>
    /// <param name="coordinator">The coordinator's address.</param>
    /// <param name="secret">The coordinator's secret.</param>
    /// <param name="pool">The pool's name.</param>
    /// <param name="slots">How many tasks run at once.</param>
    /// <param name="output">Where the node says it serves (<c>SERVING name slots</c>).</param>
    /// <param name="ct">Stops serving after the chunks at hand.</param>
    Task<int> ServeAsync(string coordinator, string secret, string pool, int slots, TextWriter output, CancellationToken ct);

    /// <summary>Whether <paramref name="error"/>, which ended <see cref="ServeAsync"/>, means the coordinator was lost (rather than the node failing to start).</summary>
    bool IsCoordinatorLost(Exception error);
}
