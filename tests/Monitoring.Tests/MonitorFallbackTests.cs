using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Dispatchers;
using Watchtower.Monitoring.Memory;

namespace Watchtower.Monitoring.Tests;

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
    [InlineData("Monitoring:Memory:WarnFraction", "1.5", "Monitoring:Memory:WarnFraction and CriticalFraction must be fractions")]
    [InlineData("Monitoring:Memory:SampleInterval", "-00:00:05", "Monitoring:Memory:SampleInterval must be positive")]
    [InlineData("Monitoring:Memory:GrowthWindow", "soon", "Failed to convert configuration value 'soon' at 'Monitoring:Memory:GrowthWindow'")]
    public void AddTemporalMonitoring_BadMemorySettings_MemoryFallsBackToNoOpWithOneWarning(string key, string value, string reason)
    {
        using var provider = Build(new() { [key] = value });
        using var statusGauge = new MetricCollector<int>(Telemetry.Meter, "watchtower.monitoring.status");

        var memory = provider.GetRequiredService<IMemoryMonitor>();
        _ = provider.GetRequiredService<IMemoryMonitor>();

        Assert.False(memory.IsInitialized);
        Assert.StartsWith(reason, memory.InitializationError!.Message, StringComparison.Ordinal);
        Assert.Equal(MemoryState.Healthy, memory.State);
        Assert.True(provider.GetRequiredService<IDispatcherHeartbeatMonitor>().IsInitialized, "the other monitor is unaffected");
        var warning = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "MonitorFellBack");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("memory", warning.Message, StringComparison.Ordinal);
        statusGauge.RecordObservableInstruments();
        Assert.Contains(statusGauge.GetMeasurementSnapshot(), m => (string?)m.Tags["monitor"] == "memory" && m.Value == 0);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging(b => b.ClearProviders().AddFakeLogging());
        services.AddTemporalMonitoring(configuration);
        return services.BuildServiceProvider();
    }
}
