using System.Diagnostics.Metrics;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Metrics;

namespace OpenTelemetry.Metrics;

/// <summary>Subscribes a meter provider to the monitoring library's metrics.</summary>
public static class MeterProviderBuilderExtensions
{
    /// <summary>
    /// Adds the interceptors' and the Temporal SDK's metrics, with bucket boundaries in seconds for
    /// every duration histogram and from 1 KiB to 1 GiB for byte histograms.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The same builder.</returns>
    public static MeterProviderBuilder AddTemporalInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddMeter(MonitoringNames.MeterName)
            .AddView(instrument =>
                instrument.Meter.Name != MonitoringNames.MeterName || instrument is not (Histogram<double> or Histogram<long>)
                    ? null
                    : instrument.Unit switch
                    {
                        "s" => new ExplicitBucketHistogramConfiguration { Boundaries = WorkerMetrics.SecondsBuckets },
                        "By" => new ExplicitBucketHistogramConfiguration { Boundaries = WorkerMetrics.ByteBuckets },
                        _ => null,
                    });
    }

    /// <summary>
    /// Adds the runtime's metrics. Three of them are gauges whose names end in <c>.count</c>, which
    /// Prometheus reserves for histograms and summaries (promtool rejects them), so they are renamed.
    /// </summary>
    internal static MeterProviderBuilder AddRuntimeInstrumentationIf(this MeterProviderBuilder builder, bool enabled) =>
        enabled
            ? builder.AddRuntimeInstrumentation()
                .AddView("dotnet.assembly.count", new MetricStreamConfiguration { Name = "dotnet.assemblies.loaded" })
                .AddView("dotnet.process.cpu.count", new MetricStreamConfiguration { Name = "dotnet.process.cpus" })
                .AddView("dotnet.timer.count", new MetricStreamConfiguration { Name = "dotnet.timers.active" })
            : builder;
}
