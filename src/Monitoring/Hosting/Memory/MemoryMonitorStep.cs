using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Health;
using Watchtower.Monitoring.Hosting.Memory;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Microsoft.Extensions.Hosting;

/// <content>The memory monitor step.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Adds the memory monitor (<c>Monitoring:Memory</c>): working set against the limit, sustained heap
    /// growth, the <c>watchtower_memory_*</c> gauges and the <c>memory</c> readiness check. Settings it
    /// cannot use make it a no-op with one warning.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddMemoryMonitor(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!MonitoringSettings.FirstTime<IMemoryMonitor>(builder))
        {
            return builder;
        }

        MonitorRegistration.Add<IMemoryMonitor, MemoryMonitorOptions>(
            builder.Services,
            "memory",
            MemoryMonitorOptionsCheck.Section,
            MemoryMonitorOptionsCheck.ThrowIfInvalid,
            (sp, options, time) => new MemoryMonitor(
                new RuntimeMemorySource(),
                time,
                sp.GetRequiredService<ILogger<MemoryMonitor>>(),
                options,
                e => sp.GetRequiredService<MonitoringStatus>().Failed("memory", e)),
            e => new NoOpMemoryMonitor(e));
        builder.Services.AddHealthChecks()
            .AddCheck<MonitoringHealthChecks.MemoryCheck>("memory", tags: [MonitoringHealthTags.Ready]);
        return builder;
    }
}
