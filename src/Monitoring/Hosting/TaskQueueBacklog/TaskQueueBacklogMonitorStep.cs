using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Monitors;
using Watchtower.Monitoring.Hosting.TaskQueueBacklog;

namespace Microsoft.Extensions.Hosting;

/// <content>The task queue backlog step.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Adds the <see cref="TaskQueueBacklogMonitor"/> singleton: the server's count of tasks waiting on a task queue,
    /// every <c>Monitoring:TaskQueueBacklogInterval</c>, as the <c>watchtower_task_queue_backlog*</c> gauges. It needs
    /// a client: the host's worker runs <see cref="TaskQueueBacklogMonitor.RunAsync"/> while it polls.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddTaskQueueBacklogMonitor(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (MonitoringSettings.FirstTime<TaskQueueBacklogMonitor>(builder))
        {
            builder.Services.TryAddSingleton(sp => new TaskQueueBacklogMonitor(
                sp.GetRequiredService<IOptions<TemporalMonitoringOptions>>(),
                sp.GetRequiredService<MonitoringStatus>(),
                sp.GetService<TimeProvider>() ?? TimeProvider.System));
        }

        return builder;
    }
}
