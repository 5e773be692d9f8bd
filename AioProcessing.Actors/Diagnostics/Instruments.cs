using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AioProcessing.Actors.Diagnostics;

/// <summary>
/// The instruments of <see cref="AioInstrumentation.MeterName"/>, recorded where the work happens: the coordinator's
/// actors (queues, locks, pools, nodes) and each process's coordinator link (calls). Levels (a queue's depth, a
/// lock's waiters) are observed: each actor registers a reading for as long as it lives, and a listener reads them
/// when it collects, so nothing is computed while nobody listens.
/// </summary>
internal static class Instruments
{
    /// <summary>The tag that names the primitive (its actor's name) on every per-primitive measurement.</summary>
    public const string PrimitiveTag = "aio.primitive";

    /// <summary>The tag that names the coordinator (its address) on every measurement of the coordinator's actors.</summary>
    public const string CoordinatorTag = "aio.coordinator";

    /// <summary>The tag that names a call's request type on <see cref="CallDuration"/>.</summary>
    public const string RequestTag = "aio.request";

    private static readonly Meter Meter = new(AioInstrumentation.MeterName, typeof(Instruments).Assembly.GetName().Version?.ToString());

    private static readonly ConcurrentDictionary<Reading, byte> Readings = new();

    static Instruments()
    {
        Observe("aio.queue.depth", "{item}", "Items in a queue now, including those lent to a process that has not taken them yet.");
        Observe("aio.lock.waiters", "{waiter}", "Callers waiting for a lock (Lock, RLock, and a Condition's lock) now.");
        Observe("aio.pool.tasks.queued", "{task}", "Tasks of a pool that wait for a worker.");
        Observe("aio.pool.tasks.running", "{task}", "Tasks of a pool that a worker runs now.");
        Observe("aio.workers", "{process}", "Worker processes joined to this coordinator (spawned, warm and joined).");
    }

    /// <summary>The activity source of <see cref="AioInstrumentation.ActivitySourceName"/>.</summary>
    public static ActivitySource Source { get; } = new(AioInstrumentation.ActivitySourceName, typeof(Instruments).Assembly.GetName().Version?.ToString());

    /// <summary>Items accepted by a queue.</summary>
    public static Counter<long> QueuePuts { get; } = Meter.CreateCounter<long>("aio.queue.puts", "{item}", "Items accepted by a queue.");

    /// <summary>Items taken from a queue for good (a prefetched item counts once its process reports it consumed).</summary>
    public static Counter<long> QueueGets { get; } = Meter.CreateCounter<long>("aio.queue.gets", "{item}", "Items taken from a queue for good.");

    /// <summary>How long a lock was held, from its grant to its release or its holder's death.</summary>
    public static Histogram<double> LockHoldTime { get; } = Meter.CreateHistogram<double>("aio.lock.hold_time", "ms", "How long a lock was held, grant to release.");

    /// <summary>Pool tasks finished (successfully or with the target's exception).</summary>
    public static Counter<long> PoolTasksDone { get; } = Meter.CreateCounter<long>("aio.pool.tasks.done", "{task}", "Pool tasks finished, successfully or with the target's exception.");

    /// <summary>Pool tasks given to another worker after theirs was lost.</summary>
    public static Counter<long> PoolTasksRetried { get; } = Meter.CreateCounter<long>("aio.pool.tasks.retried", "{task}", "Pool tasks given to another worker after theirs was lost.");

    /// <summary>Round trips from a facade to the coordinator's actor and back, as the calling process sees them.</summary>
    public static Histogram<double> CallDuration { get; } = Meter.CreateHistogram<double>("aio.call.duration", "ms", "Calls from a process to a primitive in the coordinator, request to answer.");

    /// <summary>The value of <see cref="CoordinatorTag"/> for measurements made in <paramref name="system"/>: its address.</summary>
    public static string CoordinatorOf(Akka.Actor.ActorSystem system) => ((Akka.Actor.ExtendedActorSystem)system).Provider.DefaultAddress.ToString();

    /// <summary>Reports <paramref name="read"/> under the observed instrument <paramref name="instrument"/> until the result is disposed.</summary>
    /// <param name="instrument">One of the observed instruments' names (aio.queue.depth, aio.lock.waiters, …).</param>
    /// <param name="primitive">The value of <see cref="PrimitiveTag"/>, or null for a coordinator-wide level.</param>
    /// <param name="coordinator">The value of <see cref="CoordinatorTag"/>.</param>
    /// <param name="read">Reads the level; called on the listener's thread, so it must only read a field or two.</param>
    public static IDisposable Register(string instrument, string? primitive, string coordinator, Func<long> read)
    {
        var reading = new Reading(instrument, primitive, coordinator, read);
        Readings.TryAdd(reading, 0);
        return reading;
    }

    private static void Observe(string name, string unit, string description) =>
        Meter.CreateObservableGauge(name, () => Measure(name), unit, description);

    private static IEnumerable<Measurement<long>> Measure(string instrument)
    {
        foreach (var reading in Readings.Keys)
        {
            if (reading.Instrument == instrument)
            {
                var coordinator = new KeyValuePair<string, object?>(CoordinatorTag, reading.Coordinator);
                yield return reading.Primitive is null
                    ? new Measurement<long>(reading.Read(), coordinator)
                    : new Measurement<long>(reading.Read(), new KeyValuePair<string, object?>(PrimitiveTag, reading.Primitive), coordinator);
            }
        }
    }

    private sealed class Reading(string instrument, string? primitive, string coordinator, Func<long> read) : IDisposable
    {
        public string Instrument { get; } = instrument;

        public string? Primitive { get; } = primitive;

        public string Coordinator { get; } = coordinator;

        public Func<long> Read { get; } = read;

        public void Dispose() => Readings.TryRemove(this, out _);
    }
}
