using Watchtower.Monitoring;

namespace Watchtower.Monitoring.Tests;

public sealed class MonitoringNamesTests
{
    [Fact]
    public void MonitoringNames_SourceAndMeter_AreNamedAfterTheAssembly()
    {
        var assemblyName = typeof(MonitoringNames).Assembly.GetName().Name;

        Assert.Equal(assemblyName, MonitoringNames.ActivitySourceName);
        Assert.Equal(assemblyName, MonitoringNames.MeterName);
    }
}
