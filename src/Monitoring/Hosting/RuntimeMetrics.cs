using OpenTelemetry.Metrics;

namespace Watchtower.Monitoring.Hosting;

/// <summary>The meters every provider this library sets up subscribes to.</summary>
internal static class RuntimeMetrics
{
    /// <summary>
    /// The instrumentation's and the monitors' Meters, and the runtime's when <paramref name="runtime"/> is on.
    /// Three runtime gauges end in <c>.count</c>, which Prometheus reserves for histograms and summaries
    /// (promtool rejects them), so they are renamed.
    /// </summary>
    public static MeterProviderBuilder AddMonitoringMeters(this MeterProviderBuilder builder, bool runtime)
    {
        builder.AddTemporalInstrumentation().AddMeter(HostingTelemetry.MeterName);
        return runtime
            ? builder.AddRuntimeInstrumentation()
                .AddView("dotnet.assembly.count", new MetricStreamConfiguration { Name = "dotnet.assemblies.loaded" })
                .AddView("dotnet.process.cpu.count", new MetricStreamConfiguration { Name = "dotnet.process.cpus" })
                .AddView("dotnet.timer.count", new MetricStreamConfiguration { Name = "dotnet.timers.active" })
            : builder;
    }
}
