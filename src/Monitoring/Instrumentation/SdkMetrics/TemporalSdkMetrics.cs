using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Runtime;

namespace Watchtower.Monitoring;

/// <summary>
/// The Temporal SDK's own metrics (task slots, pollers, sticky cache, task latencies, request failures),
/// recorded on the monitoring library's Meter so that they share its scrape and its export.
/// </summary>
public static class TemporalSdkMetrics
{
    /// <summary>
    /// Creates the metrics options for a <see cref="TemporalRuntime"/>:
    /// <c>new TemporalRuntime(new(new TelemetryOptions { Metrics = TemporalSdkMetrics.CreateMetricsOptions() }))</c>.
    /// Durations arrive in seconds; an instrument that fails to record is said once and dropped.
    /// </summary>
    /// <param name="loggerFactory">Where a failing instrument is reported.</param>
    /// <returns>New options for one runtime.</returns>
    public static MetricsOptions CreateMetricsOptions(ILoggerFactory? loggerFactory = null) =>
        new SdkMetrics.TemporalSdkMetricMeter(
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Watchtower.Monitoring.TemporalSdkMetrics"))
            .RuntimeOptions;
}
