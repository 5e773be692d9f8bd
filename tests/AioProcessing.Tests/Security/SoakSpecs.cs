using AioProcessing.Soak;
using AioProcessing.Tests.Queues;
using AioProcessing.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace AioProcessing.Tests.Security;

/// <summary>
/// A short run of the soak (tests/AioProcessing.Soak, a few minutes when run as its own command): locks, queues and
/// pool maps across four worker processes, workers killed at random, then the exact checks.
/// </summary>
[Collection(LargeTransfers.Name)]
public sealed class SoakSpecs(ITestOutputHelper output)
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task Twenty_seconds_of_mixed_work_with_random_kills_lose_and_duplicate_nothing()
    {
        using var log = new StringWriter();
        var report = await SoakRun.RunAsync(TimeSpan.FromSeconds(20), workers: 4, seed: 7, log);
        output.WriteLine(log.ToString());
        Assert.True(report.Ok, string.Join("\n", report.Violations));
        Assert.True(report.Kills >= 3, $"only {report.Kills} kills");
        Assert.True(report.Items > 0 && report.Maps > 0, report.ToJson());
    }
}
