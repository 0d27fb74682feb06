using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Prometheus;

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
        Assert.True(options.Health);
    }

    [Fact]
    public void AddTemporalMonitoring_HealthVariable_TurnsOffOnlyHealth()
    {
        var options = Resolve(new() { ["Monitoring:Health"] = "true", ["MONITORING_HEALTH"] = "off" });

        Assert.False(options.Health);
        Assert.True(options.Enabled);
    }

    [Theory]
    [InlineData("Monitoring:Port", "0", "Monitoring:Port (MONITORING_PORT) must be between 1 and 65535; got 0.")]
    [InlineData(
        "MONITORING_PORT",
        "70000",
        "Monitoring:Port (MONITORING_PORT) must be between 1 and 65535; got 70000.")]
    [InlineData(
        "MONITORING_PATH",
        "metrics",
        "Monitoring:Path (MONITORING_PATH) must be a path such as /metrics; got 'metrics'.")]
    [InlineData(
        "Monitoring:SdkDashboardPath",
        "/metrics/",
        "Monitoring:SdkDashboardPath must be a path of its own such as /metrics/temporal-core, apart from "
            + "Monitoring:Path and /health; got '/metrics/'.")]
    [InlineData(
        "Monitoring:SdkDashboardPath",
        "/health/core",
        "Monitoring:SdkDashboardPath must be a path of its own such as /metrics/temporal-core, apart from "
            + "Monitoring:Path and /health; got '/health/core'.")]
    [InlineData(
        "Monitoring:TaskQueueBacklogInterval",
        "00:00:00.500",
        "Monitoring:TaskQueueBacklogInterval must be 0 (off) or between 00:00:01 and 01:00:00; got 00:00:00.5000000.")]
    [InlineData(
        "Monitoring:TraceLinkTemplate",
        "http://localhost:16686/trace/",
        "Monitoring:TraceLinkTemplate must be an http or https address with {traceId} in it, such as "
            + "http://localhost:16686/trace/{traceId}; got 'http://localhost:16686/trace/'.")]
    [InlineData(
        "Monitoring:TraceLinkTemplate",
        "javascript:alert({traceId})",
        "Monitoring:TraceLinkTemplate must be an http or https address with {traceId} in it, such as "
            + "http://localhost:16686/trace/{traceId}; got 'javascript:alert({traceId})'.")]
    [InlineData(
        "Monitoring:SpanSearchAttributes:0",
        " ",
        "Monitoring:SpanSearchAttributes must name search attributes; one is empty.")]
    [InlineData(
        "MONITORING_HOST",
        "http://x",
        "Monitoring:Host (MONITORING_HOST) must be a host name, an address or '*'; got 'http://x'.")]
    [InlineData("Monitoring:ServiceName", " ", "Monitoring:ServiceName must not be empty.")]
    [InlineData(
        "Monitoring:MaxSeriesPerMetric",
        "5",
        "Monitoring:MaxSeriesPerMetric must be between 10 and 100000; got 5.")]
    public void AddTemporalMonitoring_BadValue_FailsNamingTheSetting(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(message, error.Failures);
    }

    [Theory]
    [InlineData("MONITORING_PORT", "ninety", "MONITORING_PORT must be a port number; got 'ninety'.")]
    [InlineData("MONITORING_ENABLED", "maybe", "MONITORING_ENABLED must be true or false; got 'maybe'.")]
    [InlineData("MONITORING_HEALTH", "sometimes", "MONITORING_HEALTH must be true or false; got 'sometimes'.")]
    [InlineData("Monitoring:Port", "many", "Failed to convert configuration value 'many' at 'Monitoring:Port'")]
    public void AddTemporalMonitoring_UnparsableVariable_FailsNamingIt(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(error.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("::1", 9464, "/metrics", new[] { "http://[::1]:9464/metrics/" })]
    [InlineData(
        "localhost",
        9464,
        "/metrics",
        new[] { "http://localhost:9464/metrics/", "http://127.0.0.1:9464/metrics/" })]
    [InlineData("*", 9000, "/metrics/", new[] { "http://+:9000/metrics/" })]
    [InlineData("0.0.0.0", 9000, "/scrape", new[] { "http://+:9000/scrape/" })]
    [InlineData("10.1.2.3", 9464, "/metrics", new[] { "http://10.1.2.3:9464/metrics/" })]
    public void PrometheusScrapeEndpoint_Settings_ListenerPrefixes(
        string host,
        int port,
        string path,
        string[] expected)
    {
        Assert.Equal(
            expected,
            PrometheusScrapeEndpoint.Prefixes(new TemporalMonitoringOptions { Host = host, Port = port, Path = path }));
    }

    [Fact]
    public void AddTemporalMonitoring_OwnHostAsTheReadmeShows_ClientCarriesTheInterceptorAndSdkMetrics()
    {
        using var provider = MonitoringHost.Build(
            [],
            services => services.AddTemporalClient("localhost:7233", "default"));

        var options = provider.GetRequiredService<IOptions<TemporalClientConnectOptions>>().Value;

        Assert.Same(provider.GetRequiredService<TemporalMonitoringInterceptor>(), Assert.Single(options.Interceptors!));
        Assert.Same(provider.GetRequiredService<TemporalRuntime>(), options.Runtime);
    }

    [Fact]
    public void AddTemporalMonitoring_HostedWorkerWithItsOwnClient_WorkerClientCarriesTheInterceptorOnce()
    {
        using var provider = MonitoringHost.Build([], services => services
            .AddOptions<TemporalWorkerServiceOptions>("orders")
            .Configure(o => o.ClientOptions = new("localhost:7233")
            {
                Interceptors = [new TemporalMonitoringInterceptor()],
            }));

        var options = provider.GetRequiredService<IOptionsMonitor<TemporalWorkerServiceOptions>>().Get("orders");

        var interceptors = options.ClientOptions!.Interceptors!;
        Assert.Equal(2, interceptors.Count);
        Assert.Contains(provider.GetRequiredService<TemporalMonitoringInterceptor>(), interceptors);
        Assert.Same(provider.GetRequiredService<TemporalRuntime>(), options.ClientOptions.Runtime);
    }

    [Fact]
    public void AddTemporalMonitoring_CalledTwice_RegistersEachStepOnce()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddTemporalMonitoring().AddPrometheusScrapeEndpoint();
        var count = builder.Services.Count;

        builder.AddTemporalMonitoring().AddPrometheusScrapeEndpoint().AddMemoryMonitor();

        Assert.Equal(count, builder.Services.Count);
    }

    private static TemporalMonitoringOptions Resolve(Dictionary<string, string?> settings)
    {
        using var provider = MonitoringHost.Build(settings);
        return provider.GetRequiredService<IOptions<TemporalMonitoringOptions>>().Value;
    }
}
