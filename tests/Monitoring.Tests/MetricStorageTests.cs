using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Watchtower.Monitoring.Hosting;

namespace Watchtower.Monitoring.Tests;

public sealed class MetricStorageTests
{
    [Fact]
    public void AddMonitoringMeters_MoreLabelSetsThanTheLimit_RestSummedIntoTheOverflowSeries()
    {
        var name = "test.storage." + Guid.NewGuid().ToString("N");
        var counter = Telemetry.Meter.CreateCounter<long>(name);
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMonitoringMeters(new TemporalMonitoringOptions { MaxSeriesPerMetric = 10, RuntimeMetrics = false })
            .AddInMemoryExporter(exported)
            .Build();
        for (var i = 0; i < 30; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("task_queue", "q" + i));
        }

        provider.ForceFlush();

        var points = Points(exported, name);
        Assert.InRange(points.Count, 2, 11); // The limit, and the overflow series beside it.
        Assert.Equal(30, points.Sum(p => p.GetSumLong()));
        Assert.Contains(points, p => HasTag(p, "otel.metric.overflow"));
    }

    [Fact]
    public void AddMonitoringMeters_RuntimeInstrument_StorageForItsFewLabelSetsOnly()
    {
        // A meter of the runtime's name stands in for the runtime's: its instruments' labels are a GC generation
        // or a CPU mode, so 500 label sets of storage each (about 48 KB) is memory nobody uses.
        using var runtime = new Meter("System.Runtime");
        var name = "test.runtime." + Guid.NewGuid().ToString("N");
        var counter = runtime.CreateCounter<long>(name);
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMonitoringMeters(new TemporalMonitoringOptions { MaxSeriesPerMetric = 100 })
            .AddInMemoryExporter(exported)
            .Build();
        for (var i = 0; i < 30; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("gc.heap.generation", "gen" + i));
        }

        provider.ForceFlush();

        var points = Points(exported, name);
        Assert.InRange(points.Count, 2, RuntimeMetrics.FixedLabelSets + 1);
        Assert.Equal(30, points.Sum(p => p.GetSumLong()));
        Assert.Contains(points, p => HasTag(p, "otel.metric.overflow"));
    }

    [Fact]
    public void AddMonitoringMeters_RuntimeGenerationGauge_EveryGenerationWithoutOverflow()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMonitoringMeters(new TemporalMonitoringOptions())
            .AddInMemoryExporter(exported)
            .Build();

        provider.ForceFlush();

        var points = Points(exported, "dotnet.gc.last_collection.heap.size");
        Assert.Equal(5, points.Count); // gen0, gen1, gen2, loh, poh
        Assert.DoesNotContain(points, p => HasTag(p, "otel.metric.overflow"));
    }

    [Theory]
    [InlineData("System.Runtime", "dotnet.gc.collections", true)]
    [InlineData("System.Runtime", "dotnet.exceptions", false)]
    [InlineData(HostingTelemetry.MeterName, "watchtower.memory.state", true)]
    [InlineData(HostingTelemetry.MeterName, "watchtower.otlp.exports", true)]
    [InlineData(HostingTelemetry.MeterName, "watchtower.task_queue.backlog", false)]
    [InlineData(HostingTelemetry.MeterName, "watchtower.dispatcher.heartbeats", false)]
    [InlineData(MonitoringNames.MeterName, "watchtower.trace_context.dropped", true)]
    [InlineData(MonitoringNames.MeterName, "watchtower.workflows.closed", false)]
    [InlineData(MonitoringNames.MeterName, "temporal_request", false)]
    public void LabelSetLimit_Instrument_FixedOnlyWhereTheLibraryFixesTheLabels(
        string meterName, string instrumentName, bool fixedLabels)
    {
        var limit = RuntimeMetrics.LabelSetLimit(
            meterName, instrumentName, new TemporalMonitoringOptions { MaxSeriesPerMetric = 300 });

        Assert.Equal(fixedLabels ? RuntimeMetrics.FixedLabelSets : 300, limit);
    }

    private static List<MetricPoint> Points(List<Metric> exported, string name)
    {
        var points = new List<MetricPoint>();
        foreach (var point in exported.First(m => m.Name == name).GetMetricPoints())
        {
            points.Add(point);
        }

        return points;
    }

    private static bool HasTag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return true;
            }
        }

        return false;
    }
}
