using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Logging;

namespace Microsoft.Extensions.Hosting;

/// <content>The logging step.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Adds the <c>json-trace</c> console formatter (one JSON object per line with the current trace and span
    /// ids and the workflow's or activity's ids); select it with <c>Logging:Console:FormatterName=json-trace</c>.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddTraceJsonLogs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (MonitoringSettings.FirstTime<TraceJsonConsoleFormatter>(builder))
        {
            builder.Logging.AddTraceJsonConsole();
        }

        return builder;
    }
}
