using AioProcessing.Actors.Primitives;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing;

/// <summary>
/// A facade on one primitive actor in a coordinator. Constructing a primitive creates its actor; sending one to
/// another process (as an argument, a captured variable or a queue item) sends a reference to the same actor.
/// </summary>
public abstract class AioPrimitive : IAioFacade
{
    /// <summary>Creates the primitive's actor in the coordinator of <paramref name="context"/> (default: <see cref="AioContext.Default"/>).</summary>
    private protected AioPrimitive(AioContext? context, PrimitiveHost.Kind kind, int argument = 0, long argument2 = 0, byte[]? payload = null, string? name = null, string? shape = null, bool exclusive = false)
    {
        if (name is not null && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A primitive's name must not be empty or white space.", nameof(name));
        }

        Context = context ?? AioContext.Default;
        Actor = Context.Primitives.CreatePrimitive(kind, argument, argument2, payload, name, shape, exclusive);
    }

    /// <summary>Binds to an existing actor: how a received facade is rebuilt in the receiving process.</summary>
    private protected AioPrimitive(AioContext context, IActorRef actor)
    {
        Context = context;
        Actor = actor;
    }

    AioContext IAioFacade.Context => Context;

    IActorRef IAioFacade.Actor => Actor;

    internal AioContext Context { get; }

    /// <summary>
    /// The primitive's actor in the coordinator. Actor code can use the primitive without blocking a thread by
    /// telling it the messages of its protocol and receiving the answers (docs/actor-protocol.md): for a lock,
    /// <c>LockActor.Acquire</c> answered by <c>WaitProtocol.Result</c>; for a queue, <c>QueueActor.Take</c> answered by
    /// <c>QueueActor.Taken</c>.
    /// </summary>
    public IActorRef Actor { get; }
}
