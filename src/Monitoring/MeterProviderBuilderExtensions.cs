using System.Diagnostics.Metrics;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Metrics;

namespace OpenTelemetry.Metrics;

/// <summary>Subscribes a meter provider to the monitoring library's metrics.</summary>
public static class MeterProviderBuilderExtensions
{
    /// <summary>
    /// Adds the interceptors' and the Temporal SDK's metrics, with bucket boundaries in seconds for
    /// every duration histogram.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The same builder.</returns>
    public static MeterProviderBuilder AddTemporalInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddMeter(MonitoringNames.MeterName)
            .AddView(instrument =>
                instrument.Meter.Name == MonitoringNames.MeterName && instrument.Unit == "s" && instrument is Histogram<double> or Histogram<long>
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = WorkerMetrics.SecondsBuckets }
                    : null);
    }

    internal static MeterProviderBuilder AddRuntimeInstrumentationIf(this MeterProviderBuilder builder, bool enabled) =>
        enabled ? builder.AddRuntimeInstrumentation() : builder;
}
