namespace Watchtower.Monitoring.Tests;

public sealed class InterceptorOptionsTests
{
    [Fact]
    public void UntracedActivityTypes_ChangedAfterTheInterceptorIsBuilt_InterceptorKeepsItsCopy()
    {
        var options = new TemporalMonitoringInterceptorOptions { Metrics = false };
        options.UntracedActivityTypes.Add("recordDispatcherHeartbeat");
        var interceptor = new TemporalMonitoringInterceptor(options);

        options.UntracedActivityTypes.Clear();
        options.UntracedActivityTypes.Add("analyzeDocument");

        Assert.True(interceptor.Options.IsUntraced("recordDispatcherHeartbeat"));
        Assert.False(interceptor.Options.IsUntraced("analyzeDocument"));
        Assert.False(interceptor.Options.IsUntraced("RecordDispatcherHeartbeat"));
        Assert.True(interceptor.Options.ContinueAsNewStartsNewTrace);
    }
}
