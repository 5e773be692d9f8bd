using AioProcessing.Node.Hosting;
using AioProcessing.Tests.Support;
using Akka.Dispatch;
using Xunit;

namespace AioProcessing.Tests.Hosting;

/// <summary>
/// The nodes' executor with <c>chain-on-running-thread</c> (remoting's dispatcher): work a running task schedules runs
/// on that thread once the task ends, instead of waking the other thread for each hop; the other thread still wakes
/// when more than one task waits.
/// </summary>
public sealed class DedicatedThreadExecutorSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task Work_a_running_task_schedules_runs_on_its_thread_after_it()
    {
        var executor = new DedicatedThreadExecutor("chain-spec", threads: 2, inlineLaneRequests: false, chainOnRunningThread: true);
        try
        {
            var firstThread = 0;
            var firstEnded = false;
            var next = new TaskCompletionSource<(int Thread, bool AfterFirst)>(TaskCreationOptions.RunContinuationsAsynchronously);
            executor.Execute(new ActionRunnable(() =>
            {
                firstThread = Environment.CurrentManagedThreadId;
                executor.Execute(new ActionRunnable(() => next.TrySetResult((Environment.CurrentManagedThreadId, Volatile.Read(ref firstEnded)))));
                // Work after the hop: a woken second thread would run it meanwhile.
                Thread.SpinWait(2_000_000);
                Volatile.Write(ref firstEnded, true);
            }));

            var (thread, afterFirst) = await next.Task.WaitAsync(Bounds.Remote);
            Assert.Equal(firstThread, thread);
            Assert.True(afterFirst, "the scheduled work ran while the task that scheduled it still ran");
        }
        finally
        {
            executor.Shutdown();
        }
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Two_tasks_scheduled_by_a_running_task_run_on_both_threads()
    {
        var executor = new DedicatedThreadExecutor("chain-spec-two", threads: 2, inlineLaneRequests: false, chainOnRunningThread: true);
        try
        {
            // The first blocks until the second has run: on one thread alone they would wait for each other.
            using var secondRan = new ManualResetEventSlim();
            var firstDone = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            executor.Execute(new ActionRunnable(() =>
            {
                executor.Execute(new ActionRunnable(() => firstDone.TrySetResult(secondRan.Wait(Bounds.Remote))));
                executor.Execute(new ActionRunnable(secondRan.Set));
            }));

            Assert.True(await firstDone.Task.WaitAsync(Bounds.Remote), "the second task never ran: the other thread was not woken");
        }
        finally
        {
            executor.Shutdown();
        }
    }
}
