using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.SdkMetrics;

namespace Watchtower.Monitoring.Tests;

public sealed class MetricStorageTests
{
    [Fact]
    public void AddMonitoringMeters_MoreLabelSetsThanTheLimit_RestSummedIntoTheOverflowSeries()
    {
        var name = "test.storage." + Guid.NewGuid().ToString("N");
        var counter = Telemetry.Meter.CreateCounter<long>(name);

        var points = ThirtyLabelSets(counter, "task_queue", maxSeriesPerMetric: 10, m => m.Name == name);

        Assert.InRange(points.Count, 2, 11); // The limit, and the overflow series beside it.
        Assert.Equal(30, points.Sum(p => p.GetSumLong()));
        Assert.Contains(points, p => HasTag(p, "otel.metric.overflow"));
    }

    [Fact]
    public void AddMonitoringMeters_SdkCounterWithMoreLabelSetsThanTheLimit_RestSummedIntoTheOverflowSeries()
    {
        // Core's counters come through the bridge: past the limit, what they add is summed into the overflow series,
        // one collection after another (as it must stay if the bridge ever hands on totals of its own instead).
        var name = "temporal_storage_" + Guid.NewGuid().ToString("N");
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance);
        var counter = meter.CreateCounter<long>(name, null, null);
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMonitoringMeters(new TemporalMonitoringOptions { MaxSeriesPerMetric = 10, RuntimeMetrics = false })
            .AddInMemoryExporter(exported)
            .Build();
        for (var i = 0; i < 30; i++)
        {
            counter.Add(1, meter.CreateTags(null, [new("operation", "v" + i)]));
        }

        provider.ForceFlush();
        exported.Clear();
        counter.Add(1, meter.CreateTags(null, [new("operation", "v29")]));
        counter.Add(1, meter.CreateTags(null, [new("operation", "v0")]));
        provider.ForceFlush();
        var points = Points(exported, m => m.Name == name);

        Assert.InRange(points.Count, 2, 11);
        Assert.Equal(32, points.Sum(p => p.GetSumLong()));
        Assert.Contains(points, p => HasTag(p, "otel.metric.overflow"));
    }

    [Fact]
    public void AddMonitoringMeters_InstrumentWithFixedLabels_StorageForAFewLabelSetsOnly()
    {
        // A meter of the monitors' name and a version of its own stands in for theirs (its own stream, exported
        // beside the real one): a memory gauge has no labels, so 500 label sets of storage (48 KB) go unused.
        var version = "test-" + Guid.NewGuid().ToString("N");
        using var monitors = new Meter(HostingTelemetry.MeterName, version);
        var counter = monitors.CreateCounter<long>("watchtower.memory.state");

        var points = ThirtyLabelSets(counter, "state", maxSeriesPerMetric: 100, m => m.MeterVersion == version);

        Assert.InRange(points.Count, 2, RuntimeMetrics.FixedLabelSets + 1);
        Assert.Equal(30, points.Sum(p => p.GetSumLong()));
        Assert.Contains(points, p => HasTag(p, "otel.metric.overflow"));
    }

    [Fact]
    public void LabelSetLimit_EveryRuntimeInstrumentButExceptions_Fixed()
    {
        // The runtime's label sets are fixed but for exceptions, by type; one a later .NET adds fails here until
        // someone decides which it is.
        var names = new List<string>();
        using (var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "System.Runtime")
                {
                    lock (names)
                    {
                        names.Add(instrument.Name);
                    }
                }
            },
        })
        {
            listener.Start();
        }

        var options = new TemporalMonitoringOptions { MaxSeriesPerMetric = 300 };
        Assert.Contains("dotnet.gc.collections", names);
        Assert.All(names, name => Assert.Equal(
            name == "dotnet.exceptions" ? 300 : RuntimeMetrics.FixedLabelSets,
            RuntimeMetrics.LabelSetLimit("System.Runtime", name, options)));
    }

    [Fact]
    public void AddMonitoringMeters_RuntimeGenerationGauge_EveryGenerationWithoutOverflow()
    {
        // A young collection is enough for the gauge to report every generation; a full one would slow every test
        // running beside this one.
        GC.Collect(0);
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMonitoringMeters(new TemporalMonitoringOptions())
            .AddInMemoryExporter(exported)
            .Build();

        provider.ForceFlush();

        var points = Points(exported, m => m.Name == "dotnet.gc.last_collection.heap.size");
        Assert.Equal(5, points.Count); // gen0, gen1, gen2, loh, poh
        Assert.DoesNotContain(points, p => HasTag(p, "otel.metric.overflow"));
    }

    [Theory]
    [InlineData("System.Runtime", "dotnet.gc.collections", true)]
    [InlineData("System.Runtime", "dotnet.exceptions", false)]
    [InlineData("System.Runtime", "dotnet.some_later_instrument", false)]
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

    /// <summary>
    /// Thirty label sets of one each on <paramref name="counter"/>, through a provider the monitoring sets up (the
    /// runtime's meter left out), and the points of the metric <paramref name="metric"/> picks.
    /// </summary>
    private static List<MetricPoint> ThirtyLabelSets(
        Counter<long> counter, string label, int maxSeriesPerMetric, Func<Metric, bool> metric)
    {
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMonitoringMeters(new TemporalMonitoringOptions
            {
                MaxSeriesPerMetric = maxSeriesPerMetric,
                RuntimeMetrics = false,
            })
            .AddInMemoryExporter(exported)
            .Build();
        for (var i = 0; i < 30; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>(label, "v" + i));
        }

        provider.ForceFlush();
        return Points(exported, metric);
    }

    private static List<MetricPoint> Points(List<Metric> exported, Func<Metric, bool> metric)
    {
        var points = new List<MetricPoint>();
        foreach (var point in exported.First(metric).GetMetricPoints())
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
