using Akka.Remote.Transport;
using Google.Protobuf;

namespace AioProcessing.Node.Security;

/// <summary>
/// The proven association as Akka's protocol layer sees it: the wrapped one, under its own listener. A message
/// larger than one frame of the wrapped transport is written as <see cref="Fragments"/>, all of them under one
/// lock, so that another writer's frame (Akka's heartbeats come from another actor) cannot land inside it.
/// </summary>
/// <param name="inner">The wrapped transport's association, whose peer proved the secret.</param>
/// <param name="frameBytes">The largest payload written as one frame; larger ones go as fragments of this size.</param>
internal sealed class AuthenticatedHandle(AssociationHandle inner, long frameBytes) : AssociationHandle(inner.LocalAddress, inner.RemoteAddress)
{
    private readonly Lock _writing = new();

    public override bool Write(ByteString payload)
    {
        lock (_writing)
        {
            if (payload.Length <= frameBytes)
            {
                return inner.Write(payload);
            }

            foreach (var fragment in Fragments.Split(payload.Span, (int)Math.Min(frameBytes, int.MaxValue)))
            {
                if (!inner.Write(fragment))
                {
                    return false;
                }
            }

            return true;
        }
    }

    [Obsolete("Akka's own: use the overload that states a reason.")]
    public override void Disassociate() => inner.Disassociate();
}
