namespace AioProcessing.MultiNode;

/// <summary>What code running on a node of a <see cref="MultiNodeCluster"/> knows: which node it is, and the barriers it shares with the others.</summary>
public sealed class MultiNodeContext
{
    private readonly string _barrierPrefix;

    internal MultiNodeContext(int index, int count, string barrierPrefix)
    {
        Index = index;
        Count = count;
        _barrierPrefix = barrierPrefix;
    }

    /// <summary>This node's index, from 0.</summary>
    public int Index { get; }

    /// <summary>The number of nodes in the cluster.</summary>
    public int Count { get; }

    /// <summary>
    /// Waits until every node of the cluster (or <paramref name="parties"/> of them) has entered the barrier called
    /// <paramref name="name"/>, as TestConductor's <c>EnterBarrier</c>: the synchronisation points of a multi-node
    /// spec. Every node must pass the same barriers in the same order.
    /// </summary>
    /// <param name="name">The barrier's name, shared by the nodes.</param>
    /// <param name="timeout">How long to wait for the others; 30 s when null.</param>
    /// <param name="parties">How many nodes meet there; all of them when null.</param>
    /// <param name="ct">Stops waiting, breaking the barrier for the others.</param>
    /// <returns>A task that completes when all have entered.</returns>
    /// <exception cref="BrokenBarrierException">A node did not arrive in time, or one gave up.</exception>
    public async Task EnterBarrierAsync(string name, TimeSpan? timeout = null, int? parties = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var barrier = new AioBarrier(_barrierPrefix + name, parties ?? Count);
        await barrier.WaitAsync(timeout ?? TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
    }

    /// <summary>The sync twin of <see cref="EnterBarrierAsync"/>.</summary>
    /// <param name="name">The barrier's name, shared by the nodes.</param>
    /// <param name="timeout">How long to wait for the others; 30 s when null.</param>
    /// <param name="parties">How many nodes meet there; all of them when null.</param>
    /// <param name="ct">Stops waiting, breaking the barrier for the others.</param>
    /// <exception cref="BrokenBarrierException">A node did not arrive in time, or one gave up.</exception>
    public void EnterBarrier(string name, TimeSpan? timeout = null, int? parties = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var barrier = new AioBarrier(_barrierPrefix + name, parties ?? Count);
        barrier.Wait(timeout ?? TimeSpan.FromSeconds(30), ct);
    }
}

/// <summary>One piece of code sent to a node. Public so that it can travel; not for direct use.</summary>
public sealed class NodeJob
{
    /// <summary>The job's id, echoed in its <see cref="NodeReply"/>.</summary>
    public long Id { get; set; }

    /// <summary>The code.</summary>
    public Func<MultiNodeContext, Task<object?>>? Code { get; set; }
}

/// <summary>A node's answer to a <see cref="NodeJob"/>. Public so that it can travel; not for direct use.</summary>
public sealed class NodeReply
{
    /// <summary>The job's id.</summary>
    public long Id { get; set; }

    /// <summary>What the code returned.</summary>
    public object? Value { get; set; }

    /// <summary>The type of what the code threw; null when it returned.</summary>
    public string? ErrorType { get; set; }

    /// <summary>The message of what the code threw.</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>The stack trace of what the code threw.</summary>
    public string? ErrorStack { get; set; }
}

/// <summary>The program every node runs: take code from the inbox, run it, answer in the outbox, until the inbox ends.</summary>
internal static class NodeProgram
{
    public static async Task RunAsync(int index, int count, string barrierPrefix, AioQueue<NodeJob?> inbox, AioQueue<NodeReply> outbox)
    {
        var context = new MultiNodeContext(index, count, barrierPrefix);
        while (await inbox.GetAsync().ConfigureAwait(false) is { } job)
        {
            // Jobs run side by side, so that two pieces of code on one node can meet at a barrier.
            _ = Task.Run(async () =>
            {
                NodeReply reply;
                try
                {
                    reply = new NodeReply { Id = job.Id, Value = await job.Code!(context).ConfigureAwait(false) };
                }
#pragma warning disable CA1031 // Whatever the code throws is its answer.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    reply = new NodeReply { Id = job.Id, ErrorType = ex.GetType().FullName, ErrorMessage = ex.Message, ErrorStack = ex.StackTrace };
                }

                await outbox.PutAsync(reply).ConfigureAwait(false);
                await outbox.FlushAsync().ConfigureAwait(false);
            });
        }
    }
}
