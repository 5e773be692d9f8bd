namespace AioProcessing.Actors.Client;

/// <summary>A reply whose first item may have been sent ahead in parts (<see cref="Primitives.QueueActor.ItemPart"/>).</summary>
public interface IAssembledReply
{
    /// <summary>The reply with its first item preceded by <paramref name="parts"/>.</summary>
    IAioReply Assemble(IReadOnlyList<byte[]> parts);
}
