using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring.Tests;

/// <summary>
/// The services a host gets from the monitoring steps, as the worker composes them, with fake logging.
/// </summary>
internal static class MonitoringHost
{
    public static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? extra = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddFakeLogging();
        extra?.Invoke(builder.Services);
        builder.AddTemporalMonitoring().AddPrometheusScrapeEndpoint().AddOtlpExportFromEnvironment();
        return builder.Services.BuildServiceProvider();
    }
}
