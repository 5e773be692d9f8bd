using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Primitives;

/// <summary>
/// One coordinator for all the facade specs (Lock, Semaphore, Barrier, Condition, Event and QueueFacadeSpecs), and
/// one spec at a time among them, as when they were one class: with a coordinator per class, six coordinators ran at
/// once on a 2-core machine instead of one, and specs timed out. Like that class, the collection still runs beside
/// other spec classes.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FacadeCollection : ICollectionFixture<ContextFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "facade specs";
}
