using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Watchtower.Tests.Shared;

namespace Watchtower.Monitoring.Tests;

/// <summary>A host with the monitoring listener (scrape and health endpoints), as the worker composes it.</summary>
internal static class ListenerHost
{
    public static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddFakeLogging();
        builder.AddTemporalMonitoring().AddPrometheusScrapeEndpoint();
        return builder.Build();
    }

    // The listeners start on the host's background threads; a refused connection means "not yet".
    public static async Task<HttpResponseMessage> Eventually(Func<Task<HttpResponseMessage>> request)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                return await request();
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
    }

    public static string FreePort() => ListenPorts.Free().ToString(CultureInfo.InvariantCulture);
}
