using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Temporalio.Runtime;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Instrumentation;

namespace Microsoft.Extensions.Hosting;

/// <content>The instrumentation step.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="TemporalMonitoringInterceptor"/> (from <c>Monitoring:Tracing</c> and
    /// <c>Monitoring:Metrics</c>, then <paramref name="configure"/>) and a <see cref="TemporalRuntime"/> that
    /// bridges the SDK's metrics and forwards its Core logs to .NET logging, subscribes the host's tracer
    /// provider to the spans, and puts both into every Temporal client and hosted worker configured through
    /// <c>Temporalio.Extensions.Hosting</c> (a runtime set there already is kept).
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="configure">Changes to the interceptor's options after the settings.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddTemporalInstrumentation(
        this IHostApplicationBuilder builder, Action<TemporalMonitoringInterceptorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!MonitoringSettings.FirstTime<TemporalMonitoringInterceptor>(builder))
        {
            return builder;
        }

        var services = builder.Services;
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<TemporalMonitoringOptions>>().Value;
            var options = new TemporalMonitoringInterceptorOptions
            {
                Tracing = settings.Tracing,
                Metrics = settings.Metrics,
                TraceLinkTemplate = settings.TraceLinkTemplate,
                TraceIdSearchAttribute = settings.TraceIdSearchAttribute,
            };
            options.SpanSearchAttributes.UnionWith(settings.SpanSearchAttributes);
            options.UntracedActivityTypes.UnionWith(settings.UntracedActivityTypes);
            configure?.Invoke(options);
            return new TemporalMonitoringInterceptor(options, sp.GetRequiredService<ILoggerFactory>());
        });
        services.TryAddSingleton(sp =>
        {
            var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
            var settings = sp.GetRequiredService<IOptions<TemporalMonitoringOptions>>().Value;
            return new TemporalRuntime(new(new TelemetryOptions
            {
                Metrics = !settings.Metrics ? null
                    : string.IsNullOrEmpty(settings.SdkDashboardPath)
                        ? TemporalSdkMetrics.CreateMetricsOptions(loggerFactory)
                        : TemporalSdkMetrics.CreateMetricsOptionsForCoreDashboard(loggerFactory),
                Logging = TemporalCoreLogs.ForwardTo(loggerFactory),
            }));
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<
            IPostConfigureOptions<Temporalio.Client.TemporalClientConnectOptions>, MonitoredTemporalClients>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<
            IPostConfigureOptions<Temporalio.Extensions.Hosting.TemporalWorkerServiceOptions>,
            MonitoredTemporalClients>());
        services.AddOpenTelemetry().WithTracing(tracing => tracing.AddTemporalInstrumentation());
        return builder;
    }
}
