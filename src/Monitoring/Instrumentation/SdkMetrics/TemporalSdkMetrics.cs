using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Runtime;
using Temporalio.Worker;
using Watchtower.Monitoring.Labels;

namespace Watchtower.Monitoring;

/// <summary>
/// The Temporal SDK's own metrics (task slots, pollers, sticky cache, task latencies, request failures),
/// recorded on the monitoring library's Meter so that they share its scrape and its export.
/// </summary>
public static class TemporalSdkMetrics
{
    /// <summary>
    /// Creates the metrics options for a <see cref="TemporalRuntime"/>:
    /// <c>new TemporalRuntime(new(new TelemetryOptions { Metrics = TemporalSdkMetrics.CreateMetricsOptions() }))</c>.
    /// Durations arrive in seconds; an instrument that fails to record is said once and dropped.
    /// </summary>
    /// <param name="loggerFactory">Where a failing instrument is reported.</param>
    /// <returns>New options for one runtime.</returns>
    public static MetricsOptions CreateMetricsOptions(ILoggerFactory? loggerFactory = null) =>
        Create(loggerFactory, coreDashboardSeries: false);

    /// <summary>
    /// Creates the metrics options of <see cref="CreateMetricsOptions"/> that also record every SDK metric a second
    /// time on <see cref="MonitoringNames.CoreSdkMeterName"/>, named and measured as Temporal's Core SDK Grafana
    /// dashboard expects: durations in milliseconds, no unit in the name. Export that Meter on a Prometheus endpoint
    /// of its own with counters left without <c>_total</c>. Each recording then costs two.
    /// </summary>
    /// <param name="loggerFactory">Where a failing instrument is reported.</param>
    /// <returns>New options for one runtime.</returns>
    public static MetricsOptions CreateMetricsOptionsForCoreDashboard(ILoggerFactory? loggerFactory = null) =>
        Create(loggerFactory, coreDashboardSeries: true);

    private static MetricsOptions Create(ILoggerFactory? loggerFactory, bool coreDashboardSeries) =>
        new SdkMetrics.TemporalSdkMetricMeter(
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Watchtower.Monitoring.TemporalSdkMetrics"),
            coreDashboardSeries)
            .RuntimeOptions;

    /// <summary>
    /// Declares a worker's workflow and activity types and its task queue as label values. The SDK names a
    /// type in its metrics even when no worker registers it (a client can start any type name); such types
    /// read <c>_unregistered</c>, and a registered type reads so too until it first runs here unless it is
    /// declared. <c>AddTemporalMonitoring</c> declares every hosted worker's types by itself.
    /// </summary>
    /// <param name="options">The worker's options, with its workflows and activities added.</param>
    public static void DeclareWorkerTypes(TemporalWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var workflow in options.Workflows)
        {
            if (workflow.Name is { } name)
            {
                MetricLabels.WorkflowTypes.Declare(name);
            }
        }

        foreach (var activity in options.Activities)
        {
            if (activity.Name is { } name)
            {
                MetricLabels.ActivityTypes.Declare(name);
            }
        }

        if (options.TaskQueue is { } taskQueue)
        {
            MetricLabels.TaskQueues.Admit(taskQueue);
        }
    }
}
