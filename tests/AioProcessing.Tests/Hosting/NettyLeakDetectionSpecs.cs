using AioProcessing.Node.Hosting;
using AioProcessing.Tests.Support;
using DotNetty.Common;
using Xunit;

namespace AioProcessing.Tests.Hosting;

/// <summary>
/// DotNetty's buffer leak detector (a stack trace with file and line for one buffer in 128, on every frame remoting
/// sends or reads) is off in a process that starts a node, unless the environment names a level.
/// </summary>
public sealed class NettyLeakDetectionSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task Starting_a_node_turns_the_detector_off()
    {
        ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Simple;
        await using var node = await AioNode.StartAsync(new AioNodeSettings("leak-detection"));
        Assert.Equal(ResourceLeakDetector.DetectionLevel.Disabled, ResourceLeakDetector.Level);
    }

    [Fact]
    public void The_level_the_environment_names_is_kept_and_none_named_means_off()
    {
        try
        {
            ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Simple;
            NettyLeakDetection.Apply("simple");
            Assert.Equal(ResourceLeakDetector.DetectionLevel.Simple, ResourceLeakDetector.Level);
            NettyLeakDetection.Apply(" ");
            Assert.Equal(ResourceLeakDetector.DetectionLevel.Disabled, ResourceLeakDetector.Level);
        }
        finally
        {
            ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Disabled;
        }
    }
}
