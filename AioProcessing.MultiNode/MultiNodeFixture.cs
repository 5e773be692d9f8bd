using Xunit;

namespace AioProcessing.MultiNode;

/// <summary>
/// An xunit class fixture holding a <see cref="MultiNodeCluster"/> for one spec class (<c>IClassFixture&lt;T&gt;</c>):
/// started before the first spec, killed after the last. Derive to choose the number of nodes.
/// </summary>
public class MultiNodeFixture : IAsyncLifetime
{
    private MultiNodeCluster? _cluster;

    /// <summary>How many nodes to start: 3 unless a derived fixture says otherwise.</summary>
    protected virtual int Nodes => 3;

    /// <summary>The running cluster.</summary>
    /// <exception cref="InvalidOperationException">Before xunit initialised the fixture.</exception>
    public MultiNodeCluster Cluster => _cluster ?? throw new InvalidOperationException("The multi-node cluster has not started yet.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _cluster = await MultiNodeCluster.StartAsync(Nodes).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
