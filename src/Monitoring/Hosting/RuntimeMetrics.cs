using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Watchtower.Monitoring.Hosting;

/// <summary>The meters every provider this library sets up subscribes to, and the storage each metric gets.</summary>
internal static class RuntimeMetrics
{
    private const string RuntimeMeterName = "System.Runtime";

    /// <summary>
    /// The instrumentation's and the monitors' Meters, and the runtime's when <c>RuntimeMetrics</c> is on, each
    /// metric with storage for <c>MaxSeriesPerMetric</c> label sets. One view does both, since every view that
    /// matches an instrument makes a stream of its own.
    /// </summary>
    public static MeterProviderBuilder AddMonitoringMeters(
        this MeterProviderBuilder builder, TemporalMonitoringOptions settings)
    {
        var runtime = settings.RuntimeMetrics;
        var limit = settings.MaxSeriesPerMetric;
        builder.AddTemporalInstrumentation().AddMeter(HostingTelemetry.MeterName);
        if (runtime)
        {
            builder.AddRuntimeInstrumentation();
        }

        return builder.AddView(instrument => instrument.Meter.Name switch
        {
            MonitoringNames.MeterName or HostingTelemetry.MeterName => new() { CardinalityLimit = limit },
            RuntimeMeterName when runtime => new() { Name = RuntimeName(instrument), CardinalityLimit = limit },
            _ => null,
        });
    }

    /// <summary>
    /// Three runtime gauges end in <c>.count</c>, which Prometheus reserves for histograms and summaries
    /// (promtool rejects them), so they are renamed.
    /// </summary>
    private static string RuntimeName(Instrument instrument) => instrument.Name switch
    {
        "dotnet.assembly.count" => "dotnet.assemblies.loaded",
        "dotnet.process.cpu.count" => "dotnet.process.cpus",
        "dotnet.timer.count" => "dotnet.timers.active",
        _ => instrument.Name,
    };
}
