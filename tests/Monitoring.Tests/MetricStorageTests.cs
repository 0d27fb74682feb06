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

        var points = new List<MetricPoint>();
        foreach (var point in exported.First(m => m.Name == name).GetMetricPoints())
        {
            points.Add(point);
        }

        Assert.InRange(points.Count, 2, 11); // The limit, and the overflow series beside it.
        Assert.Equal(30, points.Sum(p => p.GetSumLong()));
        Assert.Contains(points, p => HasTag(p, "otel.metric.overflow"));
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
