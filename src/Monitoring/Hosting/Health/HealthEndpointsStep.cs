using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Health;

namespace Microsoft.Extensions.Hosting;

/// <content>The health steps.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Serves <c>/health/live</c>, <c>/health/startup</c> and <c>/health/ready</c> on the monitoring host and
    /// port (<c>Monitoring:Host</c>, <c>Monitoring:Port</c>), with the host's health checks tagged
    /// <see cref="MonitoringHealthTags.Ready"/> or <see cref="MonitoringHealthTags.Startup"/>, and the
    /// <c>monitors</c> check (degraded while a monitor fell back to a no-op). A port it cannot listen on
    /// costs one warning, not the host.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddMonitoringHealthEndpoints(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!MonitoringSettings.FirstTime<HealthEndpoint>(builder))
        {
            return builder;
        }

        builder.Services.AddHealthChecks()
            .AddCheck<MonitoringHealthChecks.Monitors>("monitors", tags: [MonitoringHealthTags.Ready]);
        builder.Services.AddHostedService<HealthEndpoint>();
        return builder;
    }

    /// <summary>
    /// Adds the Temporal connection to startup and readiness (<c>temporal-startup</c>, <c>temporal</c>). The
    /// host's worker must report to the <see cref="TemporalWorkerHealth"/> singleton (polling, lost,
    /// restored), or readiness never passes.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddTemporalWorkerHealthChecks(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!MonitoringSettings.FirstTime<TemporalWorkerHealth>(builder))
        {
            return builder;
        }

        builder.Services.TryAddSingleton<TemporalWorkerHealth>();
        builder.Services.AddHealthChecks()
            .AddCheck<MonitoringHealthChecks.Startup>("temporal-startup", tags: [MonitoringHealthTags.Startup])
            .AddCheck<MonitoringHealthChecks.Temporal>("temporal", tags: [MonitoringHealthTags.Ready]);
        return builder;
    }
}
