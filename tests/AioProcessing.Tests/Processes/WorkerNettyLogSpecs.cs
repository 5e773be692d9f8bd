using AioProcessing.Node.Worker;
using DotNetty.Common.Internal.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AioProcessing.Tests.Processes;

/// <summary>
/// A worker turns DotNetty's internal log off before its node starts, unless the environment asks for DotNetty's
/// leak detection (whoever debugs DotNetty wants its log too).
/// </summary>
public sealed class WorkerNettyLogSpecs
{
    [Fact]
    public void Without_the_leak_detection_variable_DotNetty_logs_nowhere_and_with_it_its_factory_is_kept()
    {
        var original = InternalLoggerFactory.DefaultFactory;
        try
        {
            Assert.IsNotType<NullLoggerFactory>(original);
            WorkerNettyLog.Apply("simple");
            Assert.Same(original, InternalLoggerFactory.DefaultFactory);
            WorkerNettyLog.Apply(null);
            Assert.Same(NullLoggerFactory.Instance, InternalLoggerFactory.DefaultFactory);
        }
        finally
        {
            InternalLoggerFactory.DefaultFactory = original;
        }
    }
}
