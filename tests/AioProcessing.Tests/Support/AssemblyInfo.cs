// Multi-process specs start real node processes; two at a time keep a 2-core machine responsive.
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
