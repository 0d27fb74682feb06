using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;

namespace Watchtower.Monitoring.Tests;

[Collection(ProcessWideMeters.Name)]
public sealed class DispatcherHeartbeatMonitorTests : IDisposable
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<DispatcherHeartbeatMonitor> logger = new();
    private readonly DispatcherHeartbeatMonitor monitor;

    public DispatcherHeartbeatMonitorTests()
    {
        monitor = new DispatcherHeartbeatMonitor(time, logger, TimeSpan.FromSeconds(1));
    }

    public void Dispose() => monitor.Dispose();

    [Fact]
    public void DispatcherHeartbeatMonitor_RegisteredAndHeartbeating_HealthyWithExactAge()
    {
        monitor.Register("alpha", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(monitor.RecordHeartbeat("alpha"));
        time.Advance(TimeSpan.FromSeconds(4));

        var health = monitor.Find("alpha")!;

        Assert.Equal(TimeSpan.FromSeconds(4), health.SinceLastHeartbeat);
        Assert.Equal(1, health.Heartbeats);
        Assert.False(health.IsStale);
        Assert.Equal(time.GetUtcNow().AddSeconds(-4), health.LastHeartbeat);
        Assert.Equal((1, 0), (monitor.HealthyCount, monitor.StaleCount));
    }

    [Fact]
    public void DispatcherHeartbeatMonitor_SilentPastThreshold_StaleOnceThenRecoveredOnce()
    {
        monitor.Register("alpha", TimeSpan.FromSeconds(30));
        monitor.Register("beta", TimeSpan.FromSeconds(60));

        time.Advance(TimeSpan.FromSeconds(31));
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(monitor.Find("alpha")!.IsStale);
        Assert.False(monitor.Find("beta")!.IsStale);
        Assert.Equal((1, 1), (monitor.HealthyCount, monitor.StaleCount));
        Assert.Single(
            logger.Collector.GetSnapshot(),
            r => r.Id.Name == "DispatcherStale" && r.Message.Contains("alpha", StringComparison.Ordinal));

        monitor.RecordHeartbeat("alpha");
        time.Advance(TimeSpan.FromSeconds(3));

        Assert.False(monitor.Find("alpha")!.IsStale);
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Name == "DispatcherRecovered");
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Name == "DispatcherStale");
    }

    [Fact]
    public void DispatcherHeartbeatMonitor_Unregistered_ForgottenAndHeartbeatsIgnored()
    {
        monitor.Register("alpha", TimeSpan.FromSeconds(30));

        Assert.True(monitor.Unregister("alpha"));

        Assert.False(monitor.Unregister("alpha"));
        Assert.False(monitor.RecordHeartbeat("alpha"));
        Assert.Null(monitor.Find("alpha"));
        Assert.Empty(monitor.List());
    }

    [Fact]
    public void DispatcherHeartbeatMonitor_RegisteredAgain_KeepsHeartbeatsTakesNewThreshold()
    {
        monitor.Register("alpha", TimeSpan.FromSeconds(30));
        monitor.RecordHeartbeat("alpha");
        time.Advance(TimeSpan.FromSeconds(40));

        monitor.Register("alpha", TimeSpan.FromSeconds(60));

        var health = monitor.Find("alpha")!;
        Assert.Equal(1, health.Heartbeats);
        Assert.False(health.IsStale);
        Assert.Equal(["alpha"], monitor.List().Select(d => d.DispatcherId));
    }

    [Fact]
    public void DispatcherHeartbeatMonitor_Metrics_HeartbeatsCountedAndAgeAndCountsObserved()
    {
        using var heartbeats = new MetricCollector<long>(HostingTelemetry.Meter, "watchtower.dispatcher.heartbeats");
        using var age = new MetricCollector<double>(HostingTelemetry.Meter, "watchtower.dispatcher.heartbeat_age");
        using var stale = new MetricCollector<int>(HostingTelemetry.Meter, "watchtower.dispatchers.stale");
        var id = "metrics-" + Guid.NewGuid().ToString("N");
        monitor.Register(id, TimeSpan.FromSeconds(10));
        monitor.RecordHeartbeat(id);
        monitor.RecordHeartbeat(id);
        time.Advance(TimeSpan.FromSeconds(12));

        age.RecordObservableInstruments();
        stale.RecordObservableInstruments();

        Assert.Equal(
            2,
            heartbeats.GetMeasurementSnapshot().Where(m => (string?)m.Tags["dispatcher"] == id).Sum(m => m.Value));
        Assert.Equal(12, age.GetMeasurementSnapshot().Last(m => (string?)m.Tags["dispatcher"] == id).Value);
        Assert.Equal(1, stale.LastMeasurement!.Value);
    }

    [Theory]
    [InlineData("", 10)]
    [InlineData("alpha", 0)]
    [InlineData("alpha", -1)]
    public void DispatcherHeartbeatMonitor_BadRegistration_Refused(string id, int seconds)
    {
        Assert.ThrowsAny<ArgumentException>(() => monitor.Register(id, TimeSpan.FromSeconds(seconds)));
    }
}
