using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;
using Watchtower.Monitoring.Hosting.Memory;
using Watchtower.Monitoring.Hosting.Monitors;
using Watchtower.Monitoring.Hosting.Otlp;

namespace Watchtower.Monitoring.Tests;

[Collection(ProcessWideMeters.Name)]
public sealed class MonitorFallbackTests
{
    [Fact]
    public void AddTemporalMonitoring_Defaults_MonitorsStartAndStatusSaysSo()
    {
        using var provider = Build([]);

        var memory = provider.GetRequiredService<IMemoryMonitor>();
        var dispatchers = provider.GetRequiredService<IDispatcherHeartbeatMonitor>();

        Assert.True(memory.IsInitialized);
        Assert.True(dispatchers.IsInitialized);
        Assert.Equal(MemoryState.Healthy, memory.State);
        var status = provider.GetRequiredService<MonitoringStatus>().Monitors;
        Assert.Null(status["memory"]);
        Assert.Null(status["dispatchers"]);
        Assert.DoesNotContain(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "MonitorFellBack");
    }

    [Theory]
    [InlineData(
        "Monitoring:Memory:WarnFraction",
        "1.5",
        "Monitoring:Memory:WarnFraction and CriticalFraction must be fractions")]
    [InlineData("Monitoring:Memory:SampleInterval", "-00:00:05", "Monitoring:Memory:SampleInterval must be positive")]
    [InlineData(
        "Monitoring:Memory:GrowthWindow",
        "soon",
        "Failed to convert configuration value 'soon' at 'Monitoring:Memory:GrowthWindow'")]
    public void AddTemporalMonitoring_BadMemorySettings_MemoryFallsBackToNoOpWithOneWarning(
        string key,
        string value,
        string reason)
    {
        using var provider = Build(new() { [key] = value });
        using var statusGauge = new MetricCollector<int>(HostingTelemetry.Meter, "watchtower.monitoring.status");

        var memory = provider.GetRequiredService<IMemoryMonitor>();
        _ = provider.GetRequiredService<IMemoryMonitor>();

        Assert.False(memory.IsInitialized);
        Assert.StartsWith(reason, memory.InitializationError!.Message, StringComparison.Ordinal);
        Assert.Equal(MemoryState.Healthy, memory.State);
        Assert.True(
            provider.GetRequiredService<IDispatcherHeartbeatMonitor>().IsInitialized,
            "the other monitor is unaffected");
        var warning = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "MonitorFellBack");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("memory", warning.Message, StringComparison.Ordinal);
        statusGauge.RecordObservableInstruments();
        Assert.Contains(
            statusGauge.GetMeasurementSnapshot(),
            m => (string?)m.Tags["monitor"] == "memory" && m.Value == 0);
    }

    [Theory]
    [InlineData("00:00:00", "Monitoring:Dispatchers:CheckInterval must be between")]
    [InlineData("often", "Failed to convert configuration value 'often' at 'Monitoring:Dispatchers:CheckInterval'")]
    public void AddTemporalMonitoring_BadDispatcherSettings_DispatchersFallBackToNoOpWithOneWarning(
        string value,
        string reason)
    {
        using var provider = Build(new() { ["Monitoring:Dispatchers:CheckInterval"] = value });

        var dispatchers = provider.GetRequiredService<IDispatcherHeartbeatMonitor>();
        dispatchers.Register("d1", TimeSpan.FromSeconds(1));

        Assert.False(dispatchers.IsInitialized);
        Assert.StartsWith(reason, dispatchers.InitializationError!.Message, StringComparison.Ordinal);
        Assert.False(dispatchers.RecordHeartbeat("d1"));
        Assert.Empty(dispatchers.List());
        Assert.True(provider.GetRequiredService<IMemoryMonitor>().IsInitialized, "the other monitor is unaffected");
        var warning = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "MonitorFellBack");
        Assert.Contains("dispatchers", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTemporalMonitoring_MonitorsThrowWhileStarting_BothFallBackAndSayWhyOnce()
    {
        using var provider = Build([], new Services(s => s.AddSingleton<TimeProvider>(new TimerlessTimeProvider())));
        using var limit = new MetricCollector<long>(HostingTelemetry.Meter, "watchtower.memory.limit");

        var memory = provider.GetRequiredService<IMemoryMonitor>();
        var dispatchers = provider.GetRequiredService<IDispatcherHeartbeatMonitor>();
        limit.RecordObservableInstruments();

        Assert.IsType<InvalidOperationException>(memory.InitializationError);
        Assert.IsType<InvalidOperationException>(dispatchers.InitializationError);
        var warnings = provider.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Name == "MonitorFellBack").ToList();
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Contains("no timers here", w.Message, StringComparison.Ordinal));
        Assert.Equal(
            ["dispatchers", "memory"],
            provider.GetRequiredService<MonitoringStatus>().Monitors
                .Where(p => p.Value is not null)
                .Select(p => p.Key)
                .Order(StringComparer.Ordinal));

        // The half-started monitor is never disposed; it must not keep reporting a frozen sample.
        Assert.Empty(limit.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task AddTemporalMonitoring_OtlpEndpointWithoutScheme_OtlpOffWithOneWarningThatHidesTheValue()
    {
        using var provider = Build(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "collector.internal:4317" });

        var announcement = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>()
            .OfType<OtlpExportAnnouncement>()
            .Single();
        await announcement.StartAsync(TestContext.Current.CancellationToken);

        var warning = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "MonitorFellBack");
        Assert.Contains(
            "OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http:// or https:// URL",
            warning.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain("collector.internal", warning.Message, StringComparison.Ordinal);
        Assert.NotNull(provider.GetRequiredService<MonitoringStatus>().Monitors["otlp"]);
        Assert.DoesNotContain(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "OtlpExportEnabled");
    }

    [Theory]
    [InlineData("true", HealthStatus.Unhealthy)]
    [InlineData("false", HealthStatus.Degraded)]
    public async Task DispatchersHealthCheck_StaleDispatcher_FailsReadinessUnlessConfiguredOtherwise(
        string failsReadiness,
        HealthStatus expected)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var provider = Build(
            new() { ["Monitoring:Dispatchers:StaleFailsReadiness"] = failsReadiness },
            new Services(s => s.AddSingleton<TimeProvider>(time)));
        var dispatchers = provider.GetRequiredService<IDispatcherHeartbeatMonitor>();
        dispatchers.Register("d1", TimeSpan.FromSeconds(5));
        dispatchers.RecordHeartbeat("d1");
        var health = provider.GetRequiredService<HealthCheckService>();

        var fresh = await health.CheckHealthAsync(r => r.Name == "dispatchers", TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(6));
        var stale = await health.CheckHealthAsync(r => r.Name == "dispatchers", TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Healthy, fresh.Status);
        Assert.Equal("1 dispatcher(s) heartbeating: d1", fresh.Entries["dispatchers"].Description);
        Assert.Equal(expected, stale.Status);
        Assert.Equal("stale: d1 (silent for 6 s, allowed 5 s)", stale.Entries["dispatchers"].Description);
    }

    [Fact]
    public void DispatcherMonitor_CheckThrowsOnTheTimer_StepsDownSaysSoOnceAndTheStatusShowsIt()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var provider = Build(
            [],
            new Services(s => s
                .AddSingleton<TimeProvider>(time)
                .AddSingleton<ILoggerProvider>(new ThrowingOn("DispatcherStale"))));
        var dispatchers = provider.GetRequiredService<IDispatcherHeartbeatMonitor>();
        dispatchers.Register("d1", TimeSpan.FromSeconds(2));

        // The stale check logs, the log throws, on the monitor's timer: the process must not go down.
        time.Advance(TimeSpan.FromSeconds(3));
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(dispatchers.IsInitialized);
        Assert.Empty(dispatchers.List());
        Assert.NotNull(provider.GetRequiredService<MonitoringStatus>().Monitors["dispatchers"]);
        var warning = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "MonitorFailed");
        Assert.Contains("dispatchers", warning.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Services? extra = null) =>
        MonitoringHost.Build(settings, extra?.Configure);

    private sealed record Services(Action<IServiceCollection> Configure);

    /// <summary>A logging provider whose loggers throw for one event, like a broken sink.</summary>
    private sealed class ThrowingOn(string eventName) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(eventName);

        public void Dispose()
        {
        }

        private sealed class Logger(string eventName) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(
                LogLevel logLevel,
                EventId eventId,
                TState state,
                Exception? exception,
                Func<TState, Exception?, string> formatter)
            {
                if (eventId.Name == eventName)
                {
                    throw new InvalidOperationException("the log sink is broken");
                }
            }
        }
    }

    /// <summary>A clock whose timers cannot be created: a monitor that needs one fails while starting.</summary>
    private sealed class TimerlessTimeProvider : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            throw new InvalidOperationException("no timers here");
    }
}
