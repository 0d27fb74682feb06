using Microsoft.Extensions.Logging.Console;
using Watchtower.Monitoring.Hosting.Logging;

namespace Microsoft.Extensions.Logging;

/// <summary>Console logs that can be joined with traces.</summary>
public static class LoggingBuilderExtensions
{
    /// <summary>
    /// Adds the <c>json-trace</c> console formatter: one JSON object per line with <c>trace_id</c>,
    /// <c>span_id</c> and, inside workflows and activities, their ids and types. Select it with
    /// <c>Logging:Console:FormatterName=json-trace</c>; <c>simple</c> gives plain lines.
    /// </summary>
    /// <param name="builder">The logging builder.</param>
    /// <returns>The same builder.</returns>
    public static ILoggingBuilder AddTraceJsonConsole(this ILoggingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddConsoleFormatter<TraceJsonConsoleFormatter, ConsoleFormatterOptions>();
    }
}
