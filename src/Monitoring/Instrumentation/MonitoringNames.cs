namespace Watchtower.Monitoring;

/// <summary>
/// Names under which the monitoring library publishes telemetry, so hosts can subscribe with
/// <c>AddSource(MonitoringNames.ActivitySourceName)</c> and <c>AddMeter(MonitoringNames.MeterName)</c>
/// (or <c>AddTemporalInstrumentation()</c>, which does both).
/// </summary>
public static class MonitoringNames
{
    /// <summary>Name of the library's one ActivitySource.</summary>
    public const string ActivitySourceName = "Watchtower.Monitoring";

    /// <summary>Name of the library's one Meter.</summary>
    public const string MeterName = "Watchtower.Monitoring";
}
