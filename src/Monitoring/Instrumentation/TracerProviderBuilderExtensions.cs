using Watchtower.Monitoring;

namespace OpenTelemetry.Trace;

/// <summary>Subscribes a tracer provider to the monitoring library's spans.</summary>
public static class TracerProviderBuilderExtensions
{
    /// <summary>
    /// Adds the spans of <see cref="TemporalMonitoringInterceptor"/> (the
    /// <see cref="MonitoringNames.ActivitySourceName"/> ActivitySource).
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The same builder.</returns>
    public static TracerProviderBuilder AddTemporalInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(MonitoringNames.ActivitySourceName);
    }
}
