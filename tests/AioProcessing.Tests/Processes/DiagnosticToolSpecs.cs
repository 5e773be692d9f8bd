using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>
/// An application launched by a diagnostic tool (<c>dotnet-counters collect -- app</c>, <c>dotnet-trace</c>) gets
/// <c>DOTNET_DiagnosticPorts</c> naming the tool's port, with "suspend": a runtime that starts with it waits for that
/// tool. Its workers must not inherit it. Alone in its collection: while it runs, this process's environment holds
/// the variable, and any other program a spec started meanwhile would inherit it too.
/// </summary>
[Collection(Name)]
public sealed class DiagnosticToolSpecs
{
    private const string Name = "diagnostic port in the environment";

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_worker_does_not_inherit_the_diagnostic_port_a_tool_gave_its_application()
    {
        var port = Path.Combine(Path.GetTempPath(), $"aio-no-tool-{Guid.NewGuid():N}.sock");
        Environment.SetEnvironmentVariable("DOTNET_DiagnosticPorts", port + ",suspend");
        try
        {
            await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = "aio.node.warm-nodes = 0" });
            var results = new AioQueue<int>(context: context);
            var worker = new AioProcess(context, PutAnswer, results);
            await worker.StartAsync();
            Assert.Equal(42, await results.GetAsync(Bounds.Remote));
            Assert.True(await worker.JoinAsync(Bounds.Remote));
            Assert.Equal(0, worker.ExitCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_DiagnosticPorts", null);
        }
    }

    private static void PutAnswer(AioQueue<int> results) => results.Put(42);

    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class Alone
    {
    }
}
