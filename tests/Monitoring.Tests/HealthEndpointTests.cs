using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
        await Eventually(() => host.Services.GetRequiredService<MonitoringStatus>().Monitors.ContainsKey("health"));
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

    /// <summary>The endpoint starts on the host's background thread: waits for it, at most 10 s.</summary>
    private static async Task Eventually(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.False(timeout.IsCancellationRequested, "the health endpoint never said whether it listens");
            await Task.Yield();
        }
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
