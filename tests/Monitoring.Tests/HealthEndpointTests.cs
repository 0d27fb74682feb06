using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting.Health;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Tests;

[Collection(ProcessWideMeters.Name)]
public sealed class HealthEndpointTests
{
    [Fact]
    public async Task HealthEndpoint_HostValueTheListenerRefuses_FallsBackAndTheHostRuns()
    {
        // Passes the settings check (no '/' or space), but HttpListener refuses the prefix itself.
        using var host = Build(new() { ["Monitoring:Host"] = new string('x', 300), ["Monitoring:Port"] = FreePort() });
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        await host.StartAsync(TestContext.Current.CancellationToken);
        var endpoint = host.Services.GetServices<IHostedService>().OfType<HealthEndpoint>().Single();

        // The endpoint runs on the host's background thread: its whole run, not just its first report, must end
        // without stopping the host.
        await endpoint.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var status = host.Services.GetRequiredService<MonitoringStatus>().Monitors;
        var stopping = lifetime.ApplicationStopping.IsCancellationRequested;
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.False(
            stopping,
            "the host stopped: " + string.Join(" | ", host.Services.GetFakeLogCollector().GetSnapshot()
                .Where(r => r.Level >= LogLevel.Warning).Select(r => r.Message + " " + r.Exception?.Message)));
        Assert.NotNull(status["health"]);
        Assert.NotNull(status["prometheus"]);
        Assert.Null(status["memory"]);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddFakeLogging();
        builder.AddTemporalMonitoring().AddPrometheusScrapeEndpoint();
        return builder.Build();
    }

    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
