using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Runtime;

namespace Watchtower.Monitoring.Tests;

public sealed class TemporalMonitoringOptionsTests
{
    [Fact]
    public void AddTemporalMonitoring_NoSettings_ScrapesLocalhost9464Metrics()
    {
        var options = Resolve([]);

        Assert.True(options.Enabled);
        Assert.Equal("localhost", options.Host);
        Assert.Equal(9464, options.Port);
        Assert.Equal("/metrics", options.Path);
        Assert.Equal("watchtower-worker", options.ServiceName);
    }

    [Fact]
    public void AddTemporalMonitoring_EnvironmentVariables_WinOverTheSection()
    {
        var options = Resolve(new()
        {
            ["Monitoring:Port"] = "9000",
            ["Monitoring:Host"] = "example.internal",
            ["MONITORING_PORT"] = "9100",
            ["MONITORING_HOST"] = "*",
            ["MONITORING_PATH"] = "/scrape",
            ["MONITORING_ENABLED"] = "false",
        });

        Assert.Equal(9100, options.Port);
        Assert.Equal("*", options.Host);
        Assert.Equal("/scrape", options.Path);
        Assert.False(options.Enabled);
    }

    [Theory]
    [InlineData("Monitoring:Port", "0", "Monitoring:Port (MONITORING_PORT) must be between 1 and 65535; got 0.")]
    [InlineData("MONITORING_PORT", "70000", "Monitoring:Port (MONITORING_PORT) must be between 1 and 65535; got 70000.")]
    [InlineData("MONITORING_PATH", "metrics", "Monitoring:Path (MONITORING_PATH) must be a path such as /metrics; got 'metrics'.")]
    [InlineData("MONITORING_HOST", "http://x", "Monitoring:Host (MONITORING_HOST) must be a host name, an address or '*'; got 'http://x'.")]
    [InlineData("Monitoring:ServiceName", " ", "Monitoring:ServiceName must not be empty.")]
    public void AddTemporalMonitoring_BadValue_FailsNamingTheSetting(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(message, error.Failures);
    }

    [Theory]
    [InlineData("MONITORING_PORT", "ninety", "MONITORING_PORT must be a port number; got 'ninety'.")]
    [InlineData("MONITORING_ENABLED", "maybe", "MONITORING_ENABLED must be true or false; got 'maybe'.")]
    [InlineData("Monitoring:Port", "many", "Failed to convert configuration value 'many' at 'Monitoring:Port'")]
    public void AddTemporalMonitoring_UnparsableVariable_FailsNamingIt(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(error.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("::1", 9464, "/metrics", new[] { "http://[::1]:9464/metrics/" })]
    [InlineData("localhost", 9464, "/metrics", new[] { "http://localhost:9464/metrics/", "http://127.0.0.1:9464/metrics/" })]
    [InlineData("*", 9000, "/metrics/", new[] { "http://+:9000/metrics/" })]
    [InlineData("0.0.0.0", 9000, "/scrape", new[] { "http://+:9000/scrape/" })]
    [InlineData("10.1.2.3", 9464, "/metrics", new[] { "http://10.1.2.3:9464/metrics/" })]
    public void PrometheusScrapeEndpoint_Settings_ListenerPrefixes(string host, int port, string path, string[] expected)
    {
        Assert.Equal(expected, PrometheusScrapeEndpoint.Prefixes(new TemporalMonitoringOptions { Host = host, Port = port, Path = path }));
    }

    [Fact]
    public void AddTemporalMonitoring_OwnHostAsTheReadmeShows_ClientCarriesTheInterceptorAndSdkMetrics()
    {
        var services = new ServiceCollection().AddLogging(b => b.ClearProviders());
        services.AddTemporalMonitoring(new ConfigurationBuilder().Build());
        services.AddTemporalClient("localhost:7233", "default")
            .Configure<IServiceProvider>((o, sp) =>
            {
                o.Interceptors = [sp.GetRequiredService<TemporalMonitoringInterceptor>()];
                o.Runtime = new TemporalRuntime(new(new TelemetryOptions { Metrics = sp.GetRequiredService<MetricsOptions>() }));
            });
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<TemporalClientConnectOptions>>().Value;

        Assert.Same(provider.GetRequiredService<TemporalMonitoringInterceptor>(), Assert.Single(options.Interceptors!));
        Assert.NotNull(options.Runtime);
        Assert.NotNull(provider.GetRequiredService<MetricsOptions>().CustomMetricMeter);
    }

    private static TemporalMonitoringOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging(b => b.ClearProviders());
        services.AddTemporalMonitoring(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<TemporalMonitoringOptions>>().Value;
    }
}
