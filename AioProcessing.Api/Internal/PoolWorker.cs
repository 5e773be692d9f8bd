using System.Diagnostics;
using AioProcessing.Actors.Diagnostics;
using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>The scheduler actor of a pool, as it travels to a worker process.</summary>
internal sealed class PoolHandle : AioPrimitive, IAioFacade<PoolHandle>
{
    public PoolHandle(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    static PoolHandle IAioFacade<PoolHandle>.Rebind(AioContext context, IActorRef actor) => new(context, actor);
}

/// <summary>The loop a pool worker runs: pull a chunk when idle, run it, report it with the next pull.</summary>
internal static class PoolWorker
{
    /// <summary>The name of the span a worker runs each chunk in (docs/observability.md).</summary>
    public const string RunSpan = "aio pool.run";

    public static void Run(PoolHandle pool, byte[]? initializer, int maxTasks)
    {
        if (initializer is not null)
        {
            var (target, args) = pool.Context.Payloads.DeserializeCall(initializer);
            CallShape.InvokeAsync(target, args).GetAwaiter().GetResult();
        }

        RunAsync(pool.Context, pool.Actor, maxTasks, CancellationToken.None).GetAwaiter().GetResult();
    }

    public static async Task RunAsync(AioContext context, IActorRef scheduler, int maxTasks, CancellationToken ct)
    {
        PoolActor.ChunkDone[] done = [];
        var tasks = 0;
        while (true)
        {
            if (ct.IsCancellationRequested || (maxTasks > 0 && tasks >= maxTasks))
            {
                // Leaving: report what ran, ask for nothing.
                if (done.Length > 0)
                {
                    context.Link.Tell(scheduler, new PoolActor.Pull(WaitProtocol.NoReply, done));
                }

                return;
            }

            var pull = new PoolActor.Pull(CoordinatorLink.NextId(), done, maxTasks > 0 ? maxTasks - tasks : 0);
            var work = await context.Link.AskAsync<PoolActor.Work>(scheduler, pull, WaitProtocol.Infinite, cancellable: false, CancellationToken.None).ConfigureAwait(false);
            if (work.Items.Length == 0)
            {
                return;
            }

            done = new PoolActor.ChunkDone[work.Items.Length];
            for (var i = 0; i < done.Length; i++)
            {
                done[i] = await RunChunkAsync(context, scheduler, work.Items[i]).ConfigureAwait(false);
                tasks += work.Items[i].Tasks;
            }
        }
    }

    // Inside a span of its own while something in this process listens (as the pool's initializer may set up): the
    // child of the activity the chunk was submitted under, in the submitter's process, so that the trace follows the
    // task here, and current while the target runs, so that its own calls and spans belong to that trace too.
    private static async Task<PoolActor.ChunkDone> RunChunkAsync(AioContext context, IActorRef scheduler, PoolActor.WorkItem work)
    {
        using var activity = Instruments.Source.HasListeners() ? StartActivity(scheduler, work) : null;
        try
        {
            var (target, args) = context.Payloads.DeserializeCall(work.Call);
            var (value, type) = await CallShape.InvokeForResultAsync(target, args).ConfigureAwait(false);
            return new PoolActor.ChunkDone(work.ChunkId, PoolActor.ChunkStatus.Ok, context.Payloads.SerializeAs(type, value, "The task's result"), "", "", "");
        }
#pragma warning disable CA1031 // Whatever the task throws is its result, reported to its caller.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var errorType = ex.GetType().FullName ?? ex.GetType().Name;
            activity?.SetTag("error.type", errorType);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return PoolActor.ChunkDone.Failure(work.ChunkId, PoolActor.ChunkStatus.Error, errorType, ex.Message, ex.StackTrace ?? "");
        }
    }

    // "aio pool.run", a consumer span: the chunk was taken from the pool's queue. Its parent is the remote context
    // the chunk carried; with none (or one that does not parse), whatever is current here, usually nothing.
    private static Activity? StartActivity(IActorRef scheduler, PoolActor.WorkItem work)
    {
        var parent = work.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, work.TraceState, isRemote: true, out var carried) ? carried : default;
        var activity = Instruments.Source.StartActivity(RunSpan, ActivityKind.Consumer, parent);
        activity?.SetTag(Instruments.PrimitiveTag, scheduler.Path.Name);
        activity?.SetTag("aio.pool.tasks", work.Tasks);
        return activity;
    }
}
