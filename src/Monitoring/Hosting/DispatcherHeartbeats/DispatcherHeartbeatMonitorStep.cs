using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;
using Watchtower.Monitoring.Hosting.Health;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Microsoft.Extensions.Hosting;

/// <content>The dispatcher-heartbeat monitor step.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Adds the dispatcher-heartbeat monitor (<c>Monitoring:Dispatchers</c>): a registry of long-running
    /// workflows that prove they are alive by heartbeating to this process
    /// (<see cref="IDispatcherHeartbeatMonitor"/>), their gauges, and the <c>dispatchers</c> readiness
    /// check. Settings it cannot use make it a no-op with one warning.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddDispatcherHeartbeatMonitor(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!MonitoringSettings.FirstTime<IDispatcherHeartbeatMonitor>(builder))
        {
            return builder;
        }

        MonitorRegistration.Add<IDispatcherHeartbeatMonitor, DispatcherMonitorOptions>(
            builder.Services,
            "dispatchers",
            DispatcherMonitorOptions.Section,
            DispatcherMonitorOptions.ThrowIfInvalid,
            (sp, options, time) => new DispatcherHeartbeatMonitor(
                time,
                sp.GetRequiredService<ILogger<DispatcherHeartbeatMonitor>>(),
                options.CheckInterval,
                e => sp.GetRequiredService<MonitoringStatus>().Failed("dispatchers", e)),
            e => new NoOpDispatcherHeartbeatMonitor(e));
        builder.Services.AddHealthChecks()
            .AddCheck<MonitoringHealthChecks.Dispatchers>("dispatchers", tags: [MonitoringHealthTags.Ready]);
        return builder;
    }
}
