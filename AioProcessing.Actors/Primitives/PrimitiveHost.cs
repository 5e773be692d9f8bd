using AioProcessing.Actors.Serialization;
using Akka.Actor;

namespace AioProcessing.Actors.Primitives;

/// <summary>
/// Lives at <see cref="Path"/> in the coordinator and creates every primitive actor, as its child, for any process
/// (the coordinator's own included). Children start on their own dispatcher; a top-level actor would wait for the
/// <c>/user</c> guardian, which runs on the thread pool, so callers blocking pool threads could keep it from starting.
/// </summary>
public sealed class PrimitiveHost : ReceiveActor
{
    private readonly Dictionary<string, (Kind Kind, IActorRef Actor, string? Shape)> _named = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, (Kind Kind, string? Name)> _kinds = [];

    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "aio-primitives";

    /// <summary>The actor's path relative to the coordinator's address.</summary>
    public const string Path = "/user/" + Name;

    /// <summary>Creates the host.</summary>
    public PrimitiveHost()
    {
        Receive<Create>(OnCreate);
        Receive<Unname>(m =>
        {
            if (_named.TryGetValue(m.Name, out var named) && named.Actor.Equals(m.Actor))
            {
                _named.Remove(m.Name);
            }

            WaitProtocol.Acknowledge(Sender, m.RequestId);
        });
        Receive<Census>(m =>
        {
            var live = Context.GetChildren().ToHashSet();
            var entries = _kinds.Where(k => live.Contains(k.Key))
                .Select(k => new PrimitiveInfo(k.Value.Kind, k.Value.Name, k.Key))
                .ToArray();
            Sender.Tell(new Status(m.RequestId, m.Nodes, entries));
        });
    }

    /// <summary>The primitives the coordinator hosts.</summary>
    public enum Kind : byte
    {
        /// <summary><see cref="LockActor"/>.</summary>
        Lock = 1,

        /// <summary><see cref="EventActor"/>.</summary>
        Event = 2,

        /// <summary><see cref="QueueActor"/>; the argument is the bound.</summary>
        Queue = 3,

        /// <summary><see cref="SemaphoreActor"/>; the argument is the initial value.</summary>
        Semaphore = 4,

        /// <summary>A bounded <see cref="SemaphoreActor"/>; the argument is the initial value.</summary>
        BoundedSemaphore = 5,

        /// <summary><see cref="BarrierActor"/>; the arguments are the parties and the default timeout, the payload the encoded action.</summary>
        Barrier = 6,

        /// <summary><see cref="ConditionActor"/>; the payload is its lock actor's path (UTF-8).</summary>
        Condition = 7,

        /// <summary>The <see cref="LockActor"/> under a reentrant lock: only its holder's process may release it.</summary>
        RLock = 8,

        /// <summary>A <see cref="QueueActor"/> used as a joinable queue; the argument is the bound.</summary>
        JoinableQueue = 9,

        /// <summary>An unbounded <see cref="QueueActor"/> used as a simple queue.</summary>
        SimpleQueue = 10,

        /// <summary>A <see cref="QueueActor"/> carrying one direction of a pipe.</summary>
        PipeChannel = 11,

        /// <summary>A <see cref="QueueActor"/> of the connections waiting to be accepted by a listener.</summary>
        Listener = 12,

        /// <summary><see cref="PoolActor"/>; the argument is the number of retries of a chunk whose worker died.</summary>
        Pool = 13,

        /// <summary><see cref="DictActor"/> (a manager's dict or namespace, or a value under one key).</summary>
        Dict = 14,

        /// <summary><see cref="ListActor"/> (a manager's list or array).</summary>
        List = 15,
    }

    /// <summary>Props for the host, on <see cref="Dispatcher"/>.</summary>
    public static Props Props() => Akka.Actor.Props.Create(static () => new PrimitiveHost()).WithDispatcher(Dispatcher);

    /// <summary>
    /// The dispatcher primitives run on (<c>hocon/aio-node.conf</c>): dedicated threads, so that callers blocking
    /// thread-pool threads in sync facades cannot starve the actors that would answer them.
    /// </summary>
    public const string Dispatcher = "aio.primitive-dispatcher";

    /// <summary>Props for a primitive of <paramref name="kind"/>, on <see cref="Dispatcher"/>; the arguments and payload are kind-specific.</summary>
    public static Props PropsFor(Kind kind, int argument, long argument2 = 0, byte[]? payload = null) => (kind switch
    {
        Kind.Lock => LockActor.Props(),
        Kind.RLock => LockActor.Props(ownerOnly: true),
        Kind.Pool => PoolActor.Props(argument),
        Kind.Dict => DictActor.Props(),
        Kind.List => ListActor.Props(),
        Kind.Event => EventActor.Props(),
        Kind.Queue or Kind.JoinableQueue => QueueActor.Props(argument),
        Kind.SimpleQueue or Kind.PipeChannel or Kind.Listener => QueueActor.Props(0),
        Kind.Semaphore => SemaphoreActor.Props(argument, bounded: false),
        Kind.BoundedSemaphore => SemaphoreActor.Props(argument, bounded: true),
        Kind.Barrier => BarrierActor.Props(argument, argument2, payload),
        Kind.Condition => throw new ArgumentException("A condition is created by the host, which resolves its lock.", nameof(kind)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown primitive kind."),
    }).WithDispatcher(Dispatcher);

    /// <summary>
    /// Create a primitive, or with a <paramref name="Name"/>, find the one of that name and create it only if there is
    /// none (the arguments of a later create are then ignored). Answered by <see cref="Created"/>, or by
    /// <see cref="WaitProtocol.Failed"/> when the name belongs to a primitive of another kind.
    /// </summary>
    /// <param name="RequestId">The request's id.</param>
    /// <param name="Kind">What to create.</param>
    /// <param name="Argument">Kind-specific (a bound, a count).</param>
    /// <param name="Argument2">Kind-specific (a timeout).</param>
    /// <param name="Payload">Kind-specific bytes.</param>
    /// <param name="Name">The name to find or create it by; null for an anonymous primitive.</param>
    /// <param name="FindOnly">With a name: fail instead of creating when there is none.</param>
    /// <param name="Shape">
    /// What a typed primitive holds (a queue's item type, a dict's key and value types), as text; a named primitive
    /// found with another shape is refused, so that items are never read as a type they were not written as.
    /// Null: any (an untyped primitive, or a caller that does not know).
    /// </param>
    /// <param name="Exclusive">With a name: fail (<see cref="WaitProtocol.FailureKind.InUse"/>) instead of finding one that exists, as binding an address in use does.</param>
    public sealed record Create(long RequestId, Kind Kind, int Argument, long Argument2 = 0, byte[]? Payload = null, string? Name = null, bool FindOnly = false, string? Shape = null, bool Exclusive = false) : IAioRequest;

    /// <summary>
    /// Frees <paramref name="Name"/> if it still names <paramref name="Actor"/> (a closed listener's address, so that
    /// it can be listened on again); the actor itself lives on for whoever holds it. Answered by <see cref="WaitProtocol.Ack"/>.
    /// </summary>
    public sealed record Unname(long RequestId, string Name, IActorRef Actor) : IAioRequest;

    /// <summary>The primitive's actor; <paramref name="IsNew"/> is false when a named one was found.</summary>
    public sealed record Created(long RequestId, IActorRef Actor, bool IsNew = true) : IAioReply;

    /// <summary>From the <see cref="Nodes.NodeManager"/>, which vetted the querier: answer it <see cref="Status"/> with these nodes.</summary>
    public sealed record Census(long RequestId, Nodes.NodeProtocol.NodeInfo[] Nodes) : IAioMessage;

    /// <summary>One primitive the coordinator hosts: its kind, its name (null when anonymous) and its actor.</summary>
    public sealed record PrimitiveInfo(Kind Kind, string? Name, IActorRef Actor);

    /// <summary>The answer to <see cref="Nodes.NodeProtocol.StatusQuery"/>: the processes and the primitives of the coordinator.</summary>
    public sealed record Status(long RequestId, Nodes.NodeProtocol.NodeInfo[] Nodes, PrimitiveInfo[] Primitives) : IAioReply;

    private void OnCreate(Create m)
    {
        if (m.Name is { } name && _named.TryGetValue(name, out var existing))
        {
            if (m.Exclusive)
            {
                WaitProtocol.Fail(Sender, m.RequestId, WaitProtocol.FailureKind.InUse, $"the address '{name}' is in use (a {existing.Kind} is bound to it)", Context);
            }
            else if (existing.Kind == m.Kind && existing.Shape is not null && m.Shape is not null && existing.Shape != m.Shape)
            {
                WaitProtocol.Fail(Sender, m.RequestId, WaitProtocol.FailureKind.Invalid, $"the name '{name}' already belongs to a {existing.Kind} of {existing.Shape}, not of {m.Shape}", Context);
            }
            else if (existing.Kind == m.Kind)
            {
                Sender.Tell(new Created(m.RequestId, existing.Actor, IsNew: false));
            }
            else
            {
                WaitProtocol.Fail(Sender, m.RequestId, WaitProtocol.FailureKind.Invalid, $"the name '{name}' already belongs to a {existing.Kind}, not a {m.Kind}", Context);
            }

            return;
        }

        if (m.FindOnly)
        {
            WaitProtocol.Fail(Sender, m.RequestId, WaitProtocol.FailureKind.NotHeld, $"there is no {m.Kind} named '{m.Name}'", Context);
            return;
        }

        // A condition needs its lock's actor, named by path in the payload.
        var props = m.Kind == Kind.Condition
            ? ConditionActor.Props(((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(System.Text.Encoding.UTF8.GetString(m.Payload!))).WithDispatcher(Dispatcher)
            : PropsFor(m.Kind, m.Argument, m.Argument2, m.Payload);
        var actor = Context.ActorOf(props);
        if (m.Name is not null)
        {
            _named[m.Name] = (m.Kind, actor, m.Shape);
        }

        _kinds[actor] = (m.Kind, m.Name);

        Sender.Tell(new Created(m.RequestId, actor));
    }

    internal static void RegisterCodecs(WireCodecs codecs) => codecs
        .Add<Create>("pc", static (w, m) => { w.Long(m.RequestId); w.Byte((byte)m.Kind); w.Int(m.Argument); w.Long(m.Argument2); w.Bytes(m.Payload); w.String(m.Name); w.Byte(m.FindOnly ? (byte)1 : (byte)0); w.String(m.Shape); w.Bool(m.Exclusive); }, static r => new Create(r.Long(), (Kind)r.Byte(), r.Int(), r.Long(), r.Bytes(), r.String(), r.Byte() != 0, r.String(), r.Byte() != 0))
        .Add<Unname>("pu", static (w, m) => { w.Long(m.RequestId); w.String(m.Name); w.Actor(m.Actor); }, static r => new Unname(r.Long(), r.String()!, r.Actor()))
        .Add<Census>("pn", static (w, m) => { w.Long(m.RequestId); Nodes.NodeProtocol.WriteNodes(w, m.Nodes); }, static r => new Census(r.Long(), Nodes.NodeProtocol.ReadNodes(r)))
        .Add<Status>("ps", WriteStatus, ReadStatus)
        .Add<Created>("pd", static (w, m) => { w.Long(m.RequestId); w.Actor(m.Actor); w.Bool(m.IsNew); }, static r => new Created(r.Long(), r.Actor(), r.Byte() != 0));

    private static void WriteStatus(WireWriter w, Status m)
    {
        w.Long(m.RequestId);
        Nodes.NodeProtocol.WriteNodes(w, m.Nodes);
        w.Int(m.Primitives.Length);
        foreach (var p in m.Primitives)
        {
            w.Byte((byte)p.Kind);
            w.String(p.Name);
            w.Actor(p.Actor);
        }
    }

    private static Status ReadStatus(WireReader r)
    {
        var id = r.Long();
        var nodes = Nodes.NodeProtocol.ReadNodes(r);
        var primitives = new PrimitiveInfo[r.Int()];
        for (var i = 0; i < primitives.Length; i++)
        {
            primitives[i] = new PrimitiveInfo((Kind)r.Byte(), r.String(), r.Actor());
        }

        return new Status(id, nodes, primitives);
    }
}
