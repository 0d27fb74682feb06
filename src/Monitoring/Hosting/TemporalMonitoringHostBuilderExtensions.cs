using Watchtower.Monitoring;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Monitoring for a host that runs Temporal clients and workers. <see cref="AddTemporalMonitoring"/> adds
/// every part; each part is also a step of its own that returns the builder and may be called alone or
/// again (a second call adds nothing). Exporters are the host's choice:
/// <see cref="AddPrometheusScrapeEndpoint"/> and <see cref="AddOtlpExportFromEnvironment"/>.
/// </summary>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Adds Temporal monitoring: the interceptor and the SDK's metrics in every Temporal client and worker
    /// of the host (<see cref="AddTemporalInstrumentation"/>), the memory and dispatcher-heartbeat
    /// monitors, the task queue backlog gauges (<see cref="AddTaskQueueBacklogMonitor"/>), the health endpoints
    /// beside the scrape, and console logs joined to traces. Settings come from the <c>Monitoring</c> section and
    /// the <c>MONITORING_*</c> variables. Add the exporters you want with <see cref="AddPrometheusScrapeEndpoint"/>
    /// and <see cref="AddOtlpExportFromEnvironment"/>.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="configureInterceptor">Changes to the interceptor's options after the settings.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddTemporalMonitoring(
        this IHostApplicationBuilder builder, Action<TemporalMonitoringInterceptorOptions>? configureInterceptor = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddTemporalInstrumentation(configureInterceptor)
            .AddMemoryMonitor()
            .AddDispatcherHeartbeatMonitor()
            .AddTaskQueueBacklogMonitor()
            .AddMonitoringHealthEndpoints()
            .AddTraceJsonLogs();
    }
}
