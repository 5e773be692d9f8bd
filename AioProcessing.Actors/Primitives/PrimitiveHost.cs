using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// Lives at <see cref="Path"/> in the coordinator and creates primitive actors for processes that are not the
/// coordinator (a child that constructs <c>new AioLock()</c>). The coordinator's own process creates them directly.
/// </summary>
public sealed class PrimitiveHost : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "aio-primitives";

    /// <summary>The actor's path relative to the coordinator's address.</summary>
    public const string Path = "/user/" + Name;

    /// <summary>Creates the host.</summary>
    public PrimitiveHost() =>
        Receive<Create>(m => Sender.Tell(new Created(Context.ActorOf(PropsFor(m.Kind, m.Argument)))));

    /// <summary>The primitives the coordinator hosts.</summary>
    public enum Kind : byte
    {
        /// <summary><see cref="LockActor"/>.</summary>
        Lock = 1,

        /// <summary><see cref="EventActor"/>.</summary>
        Event = 2,

        /// <summary><see cref="QueueActor"/>; the argument is the bound.</summary>
        Queue = 3,
    }

    /// <summary>Props for the host.</summary>
    public static Props Props() => Akka.Actor.Props.Create(static () => new PrimitiveHost());

    /// <summary>Props for a primitive of <paramref name="kind"/>; <paramref name="argument"/> is kind-specific.</summary>
    public static Props PropsFor(Kind kind, int argument) => kind switch
    {
        Kind.Lock => LockActor.Props(),
        Kind.Event => EventActor.Props(),
        Kind.Queue => QueueActor.Props(argument),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown primitive kind."),
    };

    /// <summary>Create a primitive. Answered by <see cref="Created"/>.</summary>
    public sealed record Create(Kind Kind, int Argument) : IAioMessage;

    /// <summary>The new primitive's actor.</summary>
    public sealed record Created(IActorRef Actor) : IAioMessage;

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Create>("pc", static (w, m) => { w.Byte((byte)m.Kind); w.Int(m.Argument); }, static r => new Create((Kind)r.Byte(), r.Int()))
        .Add<Created>("pd", static (w, m) => w.Actor(m.Actor), static r => new Created(r.Actor()));
}
