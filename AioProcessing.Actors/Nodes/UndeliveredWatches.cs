using System.Diagnostics;
using Akka.Actor;

namespace AioProcessing.Actors.Nodes;

/// <summary>
/// Decides whether a <see cref="Terminated"/> of a process that has an open same-host lane means "watch again".
/// Akka answers a watch it could not deliver with <see cref="Terminated"/> neither confirmed nor from the failure
/// detector: it hands the system messages a dropped association had not had acknowledged to dead letters. Akka then
/// gates the address for a while (<c>akka.remote.retry-gate-closed-for</c>, 1 s here), and a watch sent meanwhile comes
/// back the same way. The failure detector's verdict on a process whose UID it never learnt (it froze at once) also gates the
/// address instead of quarantining it, and comes back the same way too, again each time the detector finds it silent.
/// So undelivered watches that go on for longer than <see cref="Window"/> are taken for death.
/// </summary>
internal sealed class UndeliveredWatches
{
    /// <summary>How soon a process is watched again after an undelivered watch.</summary>
    public static readonly TimeSpan RewatchDelay = TimeSpan.FromSeconds(1);

    // The gate (1 s), a second one after a reconnection that failed on a loaded machine, and a margin: a dropped
    // association's failed watches come back within it; a silent process's come back again only after the next failure
    // detection, at least 6 s after the gate opened.
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(4);

    // Undelivered watches this long after the previous one are a new incident: the watch in between held.
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);

    private readonly Dictionary<IActorRef, (long First, long Last)> _incidents = [];

    /// <summary>
    /// Whether <paramref name="terminated"/> is an undelivered watch of a process that lives (its lane is open,
    /// <paramref name="laneOpen"/>) and is to be watched again; false when it is to be taken for death.
    /// </summary>
    public bool ShouldRewatch(Terminated terminated, bool laneOpen)
    {
        var watched = terminated.ActorRef;
        if (terminated.ExistenceConfirmed || terminated.AddressTerminated || !laneOpen)
        {
            _incidents.Remove(watched);
            return false;
        }

        var now = Stopwatch.GetTimestamp();
        if (!_incidents.TryGetValue(watched, out var incident) || Stopwatch.GetElapsedTime(incident.Last, now) > Quiet)
        {
            _incidents[watched] = (now, now);
            return true;
        }

        if (Stopwatch.GetElapsedTime(incident.First, now) > Window)
        {
            _incidents.Remove(watched);
            return false;
        }

        _incidents[watched] = (incident.First, now);
        return true;
    }
}
