using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using AioProcessing.Actors.Primitives;
using AioProcessing.Serialization;
using Akka.Actor;

namespace AioProcessing.Internal;

/// <summary>
/// The submitting side of an <see cref="AioPool"/>: asks the pool's scheduler actor to run encoded chunks and turns
/// its answers into results or exceptions. <see cref="MapAsync{TArg, TResult}"/> submits every chunk of its input at
/// once; <see cref="StreamAsync{TArg, TResult}"/> reads its input as the work goes, with a bounded window of chunks in
/// flight (imap).
/// </summary>
/// <param name="context">The pool's context.</param>
/// <param name="scheduler">The pool's scheduler actor in the coordinator.</param>
/// <param name="processes">The pool's worker count, which sizes default chunks and the imap window.</param>
/// <param name="accepting">Whether the pool still takes tasks; asked before each chunk.</param>
internal sealed class PoolSubmitter(AioContext context, IActorRef scheduler, int processes, Func<bool> accepting)
{
    /// <summary>Applies <paramref name="func"/> to every item, in chunks submitted at once; the results in input order.</summary>
    /// <remarks>Fails with the first error in input order, as Python's <c>map</c>, after withdrawing the chunks not yet started.</remarks>
    public async Task<IReadOnlyList<TResult>> MapAsync<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int? chunksize, IProgress<PoolProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(func);
        ArgumentNullException.ThrowIfNull(items);
        var all = items.ToArray();
        var size = chunksize ?? DefaultChunksize(all.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1, nameof(chunksize));
        Func<Func<TArg, TResult>, TArg[], TResult[]> runner = PoolChunks.Map;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var done = 0;

        // Each chunk's results decoded straight into their place as the chunk ends: one task, one result.
        var results = new TResult[all.Length];
        var chunks = all.Chunk(size).Select(async (chunk, index) =>
        {
            var call = context.Payloads.SerializeCall(runner, [func, chunk], CallShape.Parameters(runner), "The map");
            var bytes = await RunChunkAsync(call, chunk.Length, $"Map({func.Method.Name}) chunk {index} (items {index * size}..{(index * size) + chunk.Length - 1})", stop.Token).ConfigureAwait(false);
            progress?.Report(new PoolProgress(Interlocked.Add(ref done, chunk.Length), all.Length));
            context.Payloads.DeserializeInto(bytes, results.AsSpan(index * size, chunk.Length));
        }).ToArray();
        try
        {
            await Task.WhenAll(chunks).ConfigureAwait(false);
        }
        catch
        {
            // As Python: the first error in input order; the chunks not yet started are withdrawn.
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var chunk in chunks)
            {
                if (chunk.IsFaulted && chunk.Exception!.InnerException is not OperationCanceledException)
                {
                    throw chunk.Exception.InnerException!;
                }
            }

            throw;
        }

        return results;
    }

    /// <summary>
    /// Yields the results of <paramref name="func"/> over the items as their chunks finish: in input order when
    /// <paramref name="ordered"/>, else as they come. At most 2 × processes chunks are in flight.
    /// </summary>
    public async IAsyncEnumerable<TResult> StreamAsync<TArg, TResult>(Func<TArg, TResult> func, IEnumerable<TArg> items, int chunksize, bool ordered, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(func);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunksize, 1);
        Func<Func<TArg, TResult>, TArg[], TResult[]> runner = PoolChunks.Map;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var inFlight = new LinkedList<Task<TResult[]>>();
        var window = Math.Max(processes, 1) * 2;
        using var input = items.Chunk(chunksize).GetEnumerator();
        var index = 0;
        ExceptionDispatchInfo? inputError = null;
        try
        {
            while (true)
            {
                // The input's own exception waits behind the results read before it, as Python's imap raises it
                // only after yielding those: read-ahead must not let it overtake them.
                while (inFlight.Count < window && inputError is null && TryMoveNext(input, out inputError))
                {
                    var chunk = input.Current;
                    var call = context.Payloads.SerializeCall(runner, [func, chunk], CallShape.Parameters(runner), "The map");
                    var label = $"Imap({func.Method.Name}) chunk {index++}";
                    inFlight.AddLast(RunAndDecodeAsync<TResult>(call, chunk.Length, label, stop.Token));
                }

                if (inFlight.Count == 0)
                {
                    inputError?.Throw();
                    yield break;
                }

                var next = ordered ? inFlight.First!.Value : await Task.WhenAny(inFlight).ConfigureAwait(false);
                inFlight.Remove(next);
                foreach (var result in await next.ConfigureAwait(false))
                {
                    yield return result;
                }
            }
        }
        finally
        {
            // Left early (a take, an error, a cancellation): withdraw what has not started.
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs one encoded chunk of <paramref name="tasks"/> tasks; its encoded result.</summary>
    /// <param name="call">The encoded call.</param>
    /// <param name="tasks">How many tasks the chunk holds (for <c>maxTasksPerChild</c> and the pool's counts).</param>
    /// <param name="label">Names the chunk in the exceptions.</param>
    /// <param name="ct">Withdraws the chunk if it has not started.</param>
    /// <exception cref="InvalidOperationException">The pool no longer takes tasks.</exception>
    public async Task<byte[]> RunChunkAsync(byte[] call, int tasks, string label, CancellationToken ct)
    {
        if (!accepting())
        {
            throw new InvalidOperationException("The pool is closed: no more tasks may be submitted.");
        }

        var done = await context.Link.AskAsync<PoolActor.ChunkDone>(scheduler, new PoolActor.Submit(CoordinatorLink.NextId(), tasks, call), WaitProtocol.Infinite, cancellable: true, ct).ConfigureAwait(false);
        return ResultOf(done, label, ct);
    }

    /// <summary>The encoded result of a chunk from the scheduler's answer, or the exception that says why there is none.</summary>
    /// <param name="done">The scheduler's answer.</param>
    /// <param name="label">Names the chunk in the exceptions.</param>
    /// <param name="ct">The token a withdrawn chunk's <see cref="OperationCanceledException"/> carries.</param>
    public byte[] ResultOf(PoolActor.ChunkDone done, string label, CancellationToken ct) =>
        done.Status switch
        {
            PoolActor.ChunkStatus.Ok => done.Result,
            PoolActor.ChunkStatus.Error => throw new RemoteException(done.ErrorType, done.ErrorMessage, done.ErrorStack),
            PoolActor.ChunkStatus.Lost => throw new WorkerLostException($"{label} was lost: {done.ErrorMessage} (aio.pool.max-retries is {context.Settings.PoolMaxRetries})."),
            PoolActor.ChunkStatus.NoWorker => throw new WorkerLostException($"{label} was not run: {done.ErrorMessage}."),
            PoolActor.ChunkStatus.Cancelled => throw new OperationCanceledException(ct),
            _ => throw new InvalidOperationException($"{label}: {done.ErrorMessage}."),
        };

    // As CPython: ceil(n / (4 × processes)).
    private int DefaultChunksize(int count)
    {
        var (size, extra) = Math.DivRem(count, Math.Max(processes, 1) * 4);
        return Math.Max(1, extra > 0 ? size + 1 : size);
    }

    private static bool TryMoveNext<T>(IEnumerator<T> input, out ExceptionDispatchInfo? error)
    {
        try
        {
            error = null;
            return input.MoveNext();
        }
#pragma warning disable CA1031 // The input's exception is kept and thrown in its place in the results.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ExceptionDispatchInfo.Capture(ex);
            return false;
        }
    }

    private async Task<TResult[]> RunAndDecodeAsync<TResult>(byte[] call, int tasks, string label, CancellationToken ct) =>
        context.Payloads.Deserialize<TResult[]>(await RunChunkAsync(call, tasks, label, ct).ConfigureAwait(false));
}
