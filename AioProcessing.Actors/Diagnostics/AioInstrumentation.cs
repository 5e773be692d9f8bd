namespace AioProcessing.Actors.Diagnostics;

/// <summary>
/// The names under which AioProcessing reports, in the .NET way: a <see cref="System.Diagnostics.Metrics.Meter"/>
/// that <c>dotnet-counters monitor --counters AioProcessing</c> and OpenTelemetry's <c>AddMeter</c> read, and an
/// <see cref="System.Diagnostics.ActivitySource"/> for OpenTelemetry's <c>AddSource</c>. docs/observability.md lists
/// every instrument and span.
/// </summary>
public static class AioInstrumentation
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "AioProcessing";

    /// <summary>The activity source's name.</summary>
    public const string ActivitySourceName = "AioProcessing";
}
