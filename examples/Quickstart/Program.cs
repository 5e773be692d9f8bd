// The seed example of aioprocessing's README, in C#: a child process fills a queue under a lock while the parent
// reads it asynchronously; a second task waits for the child's event, then adds 78 and the sentinel.
using AioProcessing;

namespace Quickstart;

internal static class Program
{
    private static async Task<int> Main()
    {
        var queue = new AioQueue<int?>();
        var ev = new AioEvent();
        var lck = new AioLock();
        await Task.WhenAll(Example(queue, ev, lck), Example2(queue, ev, lck));
        return 0;
    }

    private static void Func(AioQueue<int?> queue, AioEvent ev, AioLock lck, int[] items)
    {
        using (lck.Lock())
        {
            ev.Set();
            foreach (var item in items)
            {
                Thread.Sleep(300);
                queue.Put(item + 5);
            }
        }

        queue.Close();
    }

    private static async Task Example(AioQueue<int?> queue, AioEvent ev, AioLock lck)
    {
        var p = new AioProcess(Func, queue, ev, lck, new[] { 1, 2, 3, 4, 5 });
        p.Start();
        while (await queue.GetAsync() is int result)
        {
            Console.WriteLine($"Got result {result}");
        }

        await p.JoinAsync();
    }

    private static async Task Example2(AioQueue<int?> queue, AioEvent ev, AioLock lck)
    {
        await ev.WaitAsync();
        await using (await lck.LockAsync())
        {
            await queue.PutAsync(78);
            await queue.PutAsync(null); // shut down the reader
        }
    }
}
