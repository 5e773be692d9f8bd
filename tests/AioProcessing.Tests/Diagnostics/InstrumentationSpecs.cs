using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using AioProcessing.Actors.Diagnostics;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Diagnostics;

/// <summary>
/// The AioProcessing meter and activity source, read the way dotnet-counters and OpenTelemetry read them: a
/// <see cref="MeterListener"/> and an <see cref="ActivityListener"/>, no code of the library's. Other specs run
/// beside these, so each measurement is picked out by its primitive's actor name and its coordinator's address.
/// </summary>
public sealed class InstrumentationSpecs : IClassFixture<ContextFixture>, IDisposable
{
    private readonly AioContext _context;
    private readonly MeterListener _meters = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measured = new();
    private readonly ActivitySource _spec = new("AioProcessing.Tests.Instrumentation");
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _activities;

    public InstrumentationSpecs(ContextFixture fixture)
    {
        _context = fixture.Context;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AioInstrumentation.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Note(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Note(i, v, tags));
        _meters.Start();

        // The spans of AioProcessing and of this spec's own root activities; other specs' calls are traced too.
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AioInstrumentation.ActivitySourceName || source == _spec,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
        _spec.Dispose();
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_queue_reports_its_puts_its_gets_and_its_depth()
    {
        var queue = new AioQueue<int>(context: _context);
        var name = queue.Actor.Path.Name;
        await queue.PutAsync(1);
        await queue.PutAsync(2);
        await queue.PutAsync(3);
        Assert.Equal(1, await queue.GetAsync(Bounds.Remote));
        Assert.Equal(2, await queue.CountAsync());

        // Puts are written behind (a count includes this process's unsent ones): they reach the queue soon.
        await Conditions.UntilAsync(() => Sum("aio.queue.puts", name) == 3);
        _meters.RecordObservableInstruments();
        // Items lent to this process ahead of its gets stay in the depth until it reports them taken.
        Assert.True(
            Sum("aio.queue.gets", name) + Last("aio.queue.depth", name) == 3,
            $"gets {Sum("aio.queue.gets", name)} + depth {Last("aio.queue.depth", name)} != 3 puts");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_lock_reports_its_waiters_and_how_long_it_was_held()
    {
        var lck = new AioLock(_context);
        var name = lck.Actor.Path.Name;
        await lck.AcquireAsync();
        var waiting = Task.Run(() => lck.AcquireAsync(Bounds.Remote));
        await Conditions.UntilAsync(() =>
        {
            _meters.RecordObservableInstruments();
            return Last("aio.lock.waiters", name) == 1;
        });

        await lck.ReleaseAsync();
        Assert.True(await waiting);
        await lck.ReleaseAsync();
        // A release is told without an answer; a query behind it is answered after the lock has seen it.
        Assert.False(await lck.IsLockedAsync());
        Assert.Equal(2, Count("aio.lock.hold_time", name));
        _meters.RecordObservableInstruments();
        Assert.Equal(0, Last("aio.lock.waiters", name));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_pool_reports_its_tasks_done_and_the_workers_are_counted()
    {
        await using var pool = new AioPool(2, context: _context);
        var name = pool.Actor.Path.Name;
        Assert.Equal([0, 1, 4, 9, 16], await pool.MapAsync(Square, Enumerable.Range(0, 5)));
        Assert.Equal(5, Sum("aio.pool.tasks.done", name));
        _meters.RecordObservableInstruments();
        Assert.Equal(0, Last("aio.pool.tasks.queued", name));
        Assert.Equal(0, Last("aio.pool.tasks.running", name));
        // Both workers join, though one may have run every task before the other was up.
        await Conditions.UntilAsync(() =>
        {
            _meters.RecordObservableInstruments();
            return _measured.Any(m => m.Instrument == "aio.workers" && m.Value >= 2 && (string?)m.Tags.GetValueOrDefault(Instruments.CoordinatorTag) == _context.Address);
        });
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Each_call_is_timed_and_traced_as_a_client_span_named_after_its_request()
    {
        var ev = new AioEvent(_context);
        var name = ev.Actor.Path.Name;

        // Other specs' calls are traced too while this listens: this one's are the children of its own activity.
        string rootId;
        using (var root = _spec.StartActivity("spec")!)
        {
            rootId = root.Id!;
            await ev.SetAsync();
            Assert.True(await ev.WaitAsync(Bounds.Remote));
        }

        var span = Assert.Single(_spans, s => s.OperationName == "aio EventActor.Set" && s.ParentId == rootId);
        Assert.Equal(name, span.GetTagItem("aio.primitive"));
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.NotNull(span.GetTagItem("aio.link"));
        Assert.Contains(_measured, m => m.Instrument == "aio.call.duration" && (string?)m.Tags.GetValueOrDefault("aio.request") == "EventActor.Set");
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_pool_task_runs_in_its_worker_process_inside_a_span_that_continues_the_callers_trace()
    {
        // The worker records spans because its initializer listens, as a worker's OpenTelemetry would be set up.
        await using var pool = new AioPool(1, initializer: ListenInWorker, context: _context);

        string rootId;
        string traceId;
        string[] seen;
        using (var root = _spec.StartActivity("spec")!)
        {
            (rootId, traceId) = (root.Id!, root.TraceId.ToString());
            seen = await pool.ApplyAsync<string[]>(WorkerSpan, []).WaitAsync(Bounds.Remote);
        }

        // In the worker, the task ran inside the pool's span: same trace, and its parent is this process's submit span.
        var submit = Assert.Single(_spans, s => s.OperationName == "aio PoolActor.Submit" && s.ParentId == rootId);
        Assert.Equal(new[] { "aio pool.run", nameof(ActivityKind.Consumer), traceId, submit.SpanId.ToString(), pool.Actor.Path.Name, "1" }, seen[..^1]);
        Assert.NotEqual(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), seen[^1]);
    }

    private static long Square(int x) => (long)x * x;

    // The pool's initializer: runs in the worker before its first task and listens to AioProcessing's spans there.
    private static void ListenInWorker() => ActivitySource.AddActivityListener(new ActivityListener
    {
        ShouldListenTo = source => source.Name == AioInstrumentation.ActivitySourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    });

    // The pool's task: the worker's current activity while it runs (none: "none"), and the worker's process id.
    private static string[] WorkerSpan()
    {
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        return Activity.Current is { } span
            ? [span.OperationName, $"{span.Kind}", span.TraceId.ToString(), span.ParentSpanId.ToString(), $"{span.GetTagItem("aio.primitive")}", $"{span.GetTagItem("aio.pool.tasks")}", pid]
            : ["none", pid];
    }

    private void Note(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measured.Enqueue((instrument.Name, value, copy));
    }

    // Actor names repeat across the coordinators of one process (other specs run theirs): this spec's coordinator too.
    private IEnumerable<double> Values(string instrument, string primitive) =>
        _measured.Where(m => m.Instrument == instrument
            && (string?)m.Tags.GetValueOrDefault(Instruments.PrimitiveTag) == primitive
            && (string?)m.Tags.GetValueOrDefault(Instruments.CoordinatorTag) == _context.Address).Select(m => m.Value);

    private double Sum(string instrument, string primitive) => Values(instrument, primitive).Sum();

    private int Count(string instrument, string primitive) => Values(instrument, primitive).Count();

    private double Last(string instrument, string primitive) => Values(instrument, primitive).LastOrDefault(double.NaN);
}
