using Microsoft.Extensions.DependencyInjection;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Prometheus;

namespace Microsoft.Extensions.Hosting;

/// <content>The Prometheus exporter step.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Serves the monitoring metrics (and the runtime's, unless <c>Monitoring:RuntimeMetrics=false</c>) for
    /// Prometheus at <c>http://localhost:9464/metrics</c> (<c>Monitoring:Host</c>, <c>Port</c>, <c>Path</c>,
    /// <c>MONITORING_*</c>; <c>Monitoring:Enabled=false</c> turns it off). The listener has a meter provider
    /// of its own, so a port already taken costs one warning, never the host.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddPrometheusScrapeEndpoint(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (MonitoringSettings.FirstTime<PrometheusScrapeEndpoint>(builder))
        {
            builder.Services.AddSingleton<PrometheusScrapeEndpoint>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PrometheusScrapeEndpoint>());
        }

        return builder;
    }
}
