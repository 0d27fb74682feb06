using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Watchtower.Monitoring.Hosting.Monitors;
using Watchtower.Monitoring.Hosting.Otlp;

namespace Watchtower.Monitoring.Tests;

[Collection(ProcessWideMeters.Name)]
public sealed class OtlpExportWatchTests
{
    [Fact]
    public void OtlpExportWatch_TracesFailWhileMetricsGetThrough_StaysDegradedUntilTracesDoToo()
    {
        using var status = new MonitoringStatus(NullLogger<MonitoringStatus>.Instance);
        var logs = new FakeLogger<OtlpExportWatch>();
        var watch = new OtlpExportWatch(status, logs, "http://collector:4317");

        watch.Failed("traces", "gRPC status 12");
        watch.Succeeded("metrics");
        watch.Failed("traces", "gRPC status 12");
        watch.Succeeded("metrics");

        Assert.NotNull(status.Monitors[OtlpExportWatch.MonitorName]);
        Assert.Equal(["OtlpExportFailing"], logs.Collector.GetSnapshot().Select(r => r.Id.Name));

        watch.Succeeded("traces");

        Assert.Null(status.Monitors[OtlpExportWatch.MonitorName]);
        Assert.Equal(
            ["OtlpExportFailing", "OtlpExportRecovered"], logs.Collector.GetSnapshot().Select(r => r.Id.Name));
    }

    [Fact]
    public void OtlpExportWatch_CollectorThatFlaps_WarnsOnceAMinuteAndRecoversOnlyAfterAWarning()
    {
        using var status = new MonitoringStatus(NullLogger<MonitoringStatus>.Instance);
        var logs = new FakeLogger<OtlpExportWatch>();
        var watch = new OtlpExportWatch(status, logs, "http://collector:4317");

        for (var i = 0; i < 50; i++)
        {
            watch.Failed("traces", "ConnectionError");
            watch.Succeeded("traces");
        }

        Assert.Equal(
            ["OtlpExportFailing", "OtlpExportRecovered"], logs.Collector.GetSnapshot().Select(r => r.Id.Name));
        Assert.Null(status.Monitors[OtlpExportWatch.MonitorName]);
    }
}
