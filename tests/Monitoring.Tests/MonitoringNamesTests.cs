namespace Watchtower.Monitoring.Tests;

public sealed class MonitoringNamesTests
{
    [Fact]
    public void MonitoringNames_SourceAndMeter_AreNamedAfterTheAssembly()
    {
        var assemblyName = typeof(MonitoringNames).Assembly.GetName().Name;

        Assert.Equal("Watchtower.Monitoring", assemblyName);
        Assert.Equal(MonitoringNames.ActivitySourceName, assemblyName);
        Assert.Equal(MonitoringNames.MeterName, assemblyName);
    }
}
