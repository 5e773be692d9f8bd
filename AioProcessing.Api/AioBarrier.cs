using AioProcessing.Actors.Primitives;
using AioProcessing.Internal;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A barrier for a fixed number of parties in any processes, as Python's <c>multiprocessing.Barrier</c>: each
/// <see cref="Wait"/> blocks until <see cref="Parties"/> parties have arrived, then all pass with their arrival index
/// (0 for the first, parties − 1 for the last). The optional action runs once per generation, in the process of the
/// last party to arrive, before the others pass. A timeout, <see cref="Abort"/>, a throwing action or the death of a
/// waiting party breaks the barrier: waits throw <see cref="BrokenBarrierException"/> until <see cref="Reset"/>.
/// </summary>
public sealed class AioBarrier : AioPrimitive, IAioFacade<AioBarrier>
{
    /// <summary>Creates a barrier in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    /// <param name="parties">How many parties must arrive; at least 1.</param>
    /// <param name="action">Run by the last party to arrive, before the others pass; it takes no arguments and must be serializable (it travels to whichever process arrives last).</param>
    /// <param name="timeout">The default timeout of <see cref="Wait"/>; null waits without limit.</param>
    /// <param name="context">The coordinator to create it in.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parties"/> is less than 1, or the timeout is negative.</exception>
    /// <exception cref="ArgumentException">The action takes arguments or cannot be sent to another process.</exception>
    public AioBarrier(int parties, Delegate? action = null, TimeSpan? timeout = null, AioContext? context = null)
        : base(context, PrimitiveHost.Kind.Barrier, CheckParties(parties), Requests.TimeoutMs(timeout), EncodeAction(context ?? AioContext.Default, action))
    {
    }

    /// <summary>Finds the barrier called <paramref name="name"/> in the coordinator, creating it if there is none.</summary>
    /// <param name="name">The name any process joined to the coordinator finds it by; the first creation makes it, later ones bind to it (and ignore the other arguments).</param>
    /// <param name="parties">How many parties must arrive, if this call creates it.</param>
    /// <param name="action">Run by the last party to arrive, if this call creates it.</param>
    /// <param name="timeout">The default timeout of <see cref="Wait"/>, if this call creates it.</param>
    /// <param name="context">The coordinator; default <see cref="AioContext.Default"/>.</param>
    /// <exception cref="ArgumentException">The name is empty or belongs to a primitive of another kind, or the action cannot be sent.</exception>
    public AioBarrier(string name, int parties, Delegate? action = null, TimeSpan? timeout = null, AioContext? context = null)
        : base(context, PrimitiveHost.Kind.Barrier, CheckParties(parties), Requests.TimeoutMs(timeout), EncodeAction(context ?? AioContext.Default, action), name)
    {
    }

    private AioBarrier(AioContext context, IActorRef actor)
        : base(context, actor)
    {
    }

    /// <summary>The number of parties the barrier waits for.</summary>
    public int Parties => State().Parties;

    /// <summary>The number of parties waiting now (Python's <c>n_waiting</c>).</summary>
    public int NWaiting => State().Waiting;

    /// <summary>Whether the barrier is broken.</summary>
    public bool Broken => State().Broken;

    /// <summary>Arrives and waits for the other parties; returns this party's arrival index.</summary>
    /// <param name="timeout">How long to wait; null uses the barrier's timeout. Elapsing breaks the barrier, as in Python.</param>
    /// <param name="ct">Withdraws this party's arrival (the barrier stays whole) and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="BrokenBarrierException">The barrier is or became broken.</exception>
    public int Wait(TimeSpan? timeout = null, CancellationToken ct = default) => Blocking.Wait(() => WaitCoreAsync(timeout, ct));

    /// <inheritdoc cref="Wait"/>
    public Task<int> WaitAsync(TimeSpan? timeout = null, CancellationToken ct = default) => WaitCoreAsync(timeout, ct);

    /// <summary>Breaks the barrier: waiting and later waits throw <see cref="BrokenBarrierException"/> until <see cref="Reset"/>.</summary>
    public void Abort() => Blocking.Wait(() => AbortAsync());

    /// <inheritdoc cref="Abort"/>
    public Task AbortAsync(CancellationToken ct = default) =>
        Context.Link.AskAsync<Actors.Primitives.WaitProtocol.Ack>(Actor, new BarrierActor.Abort(CoordinatorLink.NextId()), ct);

    /// <summary>Returns the barrier to its empty, whole state; parties waiting now throw <see cref="BrokenBarrierException"/>.</summary>
    public void Reset() => Blocking.Wait(() => ResetAsync());

    /// <inheritdoc cref="Reset"/>
    public Task ResetAsync(CancellationToken ct = default) =>
        Context.Link.AskAsync<Actors.Primitives.WaitProtocol.Ack>(Actor, new BarrierActor.Reset(CoordinatorLink.NextId()), ct);

    /// <summary>The barrier's parties, waiting count and broken flag, in one round trip.</summary>
    public async Task<(int Parties, int Waiting, bool Broken)> StateAsync(CancellationToken ct = default)
    {
        var state = await Context.Link.AskAsync<BarrierActor.State>(Actor, new BarrierActor.Query(CoordinatorLink.NextId()), ct).ConfigureAwait(false);
        return (state.Parties, state.Waiting, state.Broken);
    }

    static AioBarrier IAioFacade<AioBarrier>.Rebind(AioContext context, IActorRef actor) => new(context, actor);

    private static int CheckParties(int parties) =>
        parties >= 1 ? parties : throw new ArgumentOutOfRangeException(nameof(parties), parties, "A barrier needs at least one party.");

    private static byte[]? EncodeAction(AioContext context, Delegate? action)
    {
        if (action is null)
        {
            return null;
        }

        var parameters = CallShape.Parameters(action);
        if (parameters.Count != 0)
        {
            throw new ArgumentException($"A barrier action takes no arguments; {action.Method.Name} takes {parameters.Count}.", nameof(action));
        }

        return context.Payloads.SerializeCall(action, [], parameters, "The barrier action");
    }

    private static int Result(BarrierActor.WaitReply reply, CancellationToken ct, Exception? actionError = null)
    {
        if (actionError is not null)
        {
            // As in Python, the party whose action failed sees the action's exception; the others a broken barrier.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(actionError).Throw();
        }

        return reply.Outcome switch
        {
            BarrierActor.Outcome.Passed => reply.Index,
            BarrierActor.Outcome.Cancelled => throw new OperationCanceledException(ct),
            _ => throw new BrokenBarrierException(),
        };
    }

    private (int Parties, int Waiting, bool Broken) State() => Blocking.Wait(() => StateAsync());

    private async Task<int> WaitCoreAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var reply = await Blocking.AwaitHere(ArriveAsync(timeout, ct)).ConfigureAwait(false);
        if (reply.Outcome != BarrierActor.Outcome.RunAction)
        {
            return Result(reply, ct);
        }

        // The action is user code: a blocking caller runs it on its own thread, never on the thread that delivered
        // the answer, and outside its own call (see Blocking.AwaitUserCode).
        var error = await Blocking.AwaitUserCode(() => RunActionAsync(reply.Action!)).ConfigureAwait(false);
        return Result(await Blocking.AwaitHere(FinishActionAsync(reply, error)).ConfigureAwait(false), ct, error);
    }

    private Task<BarrierActor.WaitReply> ArriveAsync(TimeSpan? timeout, CancellationToken ct)
    {
        var timeoutMs = Requests.TimeoutMs(timeout);
        return Context.Link.AskAsync<BarrierActor.WaitReply>(Actor, new BarrierActor.Wait(CoordinatorLink.NextId(), timeoutMs), timeoutMs, cancellable: true, ct);
    }

    // The answer to ActionDone goes to the same request id: the last party's wait ends with it.
    private Task<BarrierActor.WaitReply> FinishActionAsync(BarrierActor.WaitReply runAction, Exception? error) =>
        Context.Link.AskAsync<BarrierActor.WaitReply>(Actor, new BarrierActor.ActionDone(runAction.RequestId, error is null), CancellationToken.None);

    private async Task<Exception?> RunActionAsync(byte[] encoded)
    {
        try
        {
            var (action, args) = Context.Payloads.DeserializeCall(encoded);
            await CallShape.InvokeAsync(action, args).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex;
        }
    }
}
