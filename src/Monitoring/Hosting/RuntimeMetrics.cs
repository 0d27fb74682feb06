using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Watchtower.Monitoring.Hosting;

/// <summary>The meters every provider this library sets up subscribes to, and the storage each metric gets.</summary>
internal static class RuntimeMetrics
{
    private const string RuntimeMeterName = "System.Runtime";

    /// <summary>
    /// Storage for the label sets of an instrument whose labels the library or the runtime fixes (none, a GC
    /// generation, a CPU mode, a monitor's name, an export's signal and outcome): at most a handful, and a metric
    /// reserves its storage whole (about 95 bytes a label set) the moment it is published.
    /// </summary>
    public const int FixedLabelSets = 20;

    // The instruments whose label sets the library or the runtime fixes. Any other (the interceptors' and the SDK's,
    // by workflow and activity type, task queue, namespace; the backlog by task queue; heartbeats by dispatcher; the
    // runtime's exceptions by type) keeps MaxSeriesPerMetric, so an instrument added later and not listed here, ours
    // or a later runtime's, is never cut short, only sized generously.
    private static readonly FrozenSet<string> FixedLabelSetInstruments = FrozenSet.Create(
        StringComparer.Ordinal,

        // The runtime's (.NET 10): no labels, a GC generation (at most 5) or a CPU mode (2).
        "dotnet.assembly.count",
        "dotnet.gc.collections",
        "dotnet.gc.heap.total_allocated",
        "dotnet.gc.last_collection.heap.fragmentation.size",
        "dotnet.gc.last_collection.heap.size",
        "dotnet.gc.last_collection.memory.committed_size",
        "dotnet.gc.pause.time",
        "dotnet.jit.compilation.time",
        "dotnet.jit.compiled_il.size",
        "dotnet.jit.compiled_methods",
        "dotnet.monitor.lock_contentions",
        "dotnet.process.cpu.count",
        "dotnet.process.cpu.time",
        "dotnet.process.memory.working_set",
        "dotnet.thread_pool.queue.length",
        "dotnet.thread_pool.thread.count",
        "dotnet.thread_pool.work_item.count",
        "dotnet.timer.count",

        // The library's: a monitor's name, an export's signal and outcome, a part of a trace header, or none.
        "watchtower.monitoring.status",
        "watchtower.otlp.exports",
        "watchtower.memory.private",
        "watchtower.memory.limit",
        "watchtower.memory.growth_rate",
        "watchtower.memory.growth_suspected",
        "watchtower.memory.state",
        "watchtower.dispatchers.healthy",
        "watchtower.dispatchers.stale",
        "watchtower.trace_context.dropped");

    /// <summary>
    /// The instrumentation's and the monitors' Meters, and the runtime's when <c>RuntimeMetrics</c> is on, each
    /// metric with storage for <see cref="LabelSetLimit"/> label sets. One view does both, since every view that
    /// matches an instrument makes a stream of its own.
    /// </summary>
    public static MeterProviderBuilder AddMonitoringMeters(
        this MeterProviderBuilder builder, TemporalMonitoringOptions settings)
    {
        var runtime = settings.RuntimeMetrics;
        builder.AddTemporalInstrumentation().AddMeter(HostingTelemetry.MeterName);
        if (runtime)
        {
            builder.AddRuntimeInstrumentation();
        }

        return builder.AddView(instrument => instrument.Meter.Name switch
        {
            MonitoringNames.MeterName or HostingTelemetry.MeterName =>
                new() { CardinalityLimit = LabelSetLimit(instrument.Meter.Name, instrument.Name, settings) },
            RuntimeMeterName when runtime => new()
            {
                Name = RuntimeName(instrument),
                CardinalityLimit = LabelSetLimit(instrument.Meter.Name, instrument.Name, settings),
            },
            _ => null,
        });
    }

    /// <summary>
    /// How many label sets a metric keeps: <see cref="FixedLabelSets"/> for one whose labels are fixed,
    /// <c>MaxSeriesPerMetric</c> for the rest.
    /// </summary>
    public static int LabelSetLimit(string meterName, string instrumentName, TemporalMonitoringOptions settings) =>
        meterName is RuntimeMeterName or MonitoringNames.MeterName or HostingTelemetry.MeterName
        && FixedLabelSetInstruments.Contains(instrumentName)
            ? FixedLabelSets
            : settings.MaxSeriesPerMetric;

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
