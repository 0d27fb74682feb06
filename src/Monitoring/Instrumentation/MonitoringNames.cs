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

    /// <summary>
    /// Name of the Meter that repeats the Temporal SDK's own metrics as Temporal's Core SDK dashboard reads them
    /// (durations in milliseconds, no units), when the runtime's options come from
    /// <see cref="TemporalSdkMetrics.CreateMetricsOptionsForCoreDashboard"/>. Export it on a Prometheus endpoint of its
    /// own, without the <c>_total</c> suffix on counters; nothing else should subscribe to it.
    /// </summary>
    public const string CoreSdkMeterName = "Watchtower.Monitoring.CoreSdkNames";
}
