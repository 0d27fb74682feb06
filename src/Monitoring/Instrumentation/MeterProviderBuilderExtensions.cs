using Watchtower.Monitoring;

namespace OpenTelemetry.Metrics;

/// <summary>Subscribes a meter provider to the monitoring library's metrics.</summary>
public static class MeterProviderBuilderExtensions
{
    /// <summary>
    /// Adds the interceptors' and the Temporal SDK's metrics (the <see cref="MonitoringNames.MeterName"/>
    /// Meter). Duration histograms advise buckets in seconds from 5 ms to a day, byte histograms from
    /// 1 KiB to 1 GiB; a view of the host's own still wins.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The same builder.</returns>
    public static MeterProviderBuilder AddTemporalInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(MonitoringNames.MeterName);
    }
}
