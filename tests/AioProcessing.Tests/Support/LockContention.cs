namespace AioProcessing.Tests.Support;

/// <summary>Sync lock contention shared by the lock facade specs and the process specs (which run it in a child).</summary>
internal static class LockContention
{
    internal static void ContendSync(AioLock lck, AioQueue<int> done, int caller)
    {
        for (var i = 0; i < 10; i++)
        {
            using (lck.Lock(TimeSpan.FromSeconds(60)))
            {
            }
        }

        done.Put(caller);
    }
}
