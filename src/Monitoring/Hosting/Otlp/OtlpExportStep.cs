using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Monitors;
using Watchtower.Monitoring.Hosting.Otlp;

namespace Microsoft.Extensions.Hosting;

/// <content>The OTLP exporter step.</content>
public static partial class TemporalMonitoringHostBuilderExtensions
{
    private const string TracesSignal = "traces";
    private const string MetricsSignal = "metrics";

    /// <summary>
    /// Exports traces and metrics over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, configured by
    /// the standard <c>OTEL_*</c> variables (protocol, headers, sampler, batch and export intervals). An
    /// endpoint that is not an <c>http://</c> or <c>https://</c> URL turns OTLP off with one warning that
    /// never shows the value (it may carry credentials). Unset, nothing is added. Failed exports are counted,
    /// warned about at most once a minute and shown as degraded in readiness; at shutdown what is left is
    /// flushed within three seconds, however the collector behaves.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddOtlpExportFromEnvironment(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint) || !MonitoringSettings.FirstTime<OtlpExportAnnouncement>(builder))
        {
            return builder;
        }

        var protocol = builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "grpc";
        var usable = OtlpExportAnnouncement.IsHttpUrl(endpoint);
        builder.Services.AddHostedService(sp => new OtlpExportAnnouncement(
            sp.GetRequiredService<ILogger<OtlpExportAnnouncement>>(),
            sp.GetRequiredService<MonitoringStatus>(),
            sp.GetRequiredService<IOptions<TemporalMonitoringOptions>>(),
            protocol,
            endpoint));
        if (usable)
        {
            // Named, so that each signal's exporter gets a client that knows which signal it carries. A host's own
            // Configure<OtlpExporterOptions> must name them too ("traces", "metrics") to apply.
            builder.Services.AddSingleton(sp => new OtlpExportWatch(
                sp.GetRequiredService<MonitoringStatus>(),
                sp.GetRequiredService<ILogger<OtlpExportWatch>>(),
                OtlpExportAnnouncement.Displayable(endpoint)));
            foreach (var signal in new[] { TracesSignal, MetricsSignal })
            {
                builder.Services.AddOptions<OtlpExporterOptions>(signal)
                    .Configure<OtlpExportWatch>((o, watch) =>
                    {
                        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMilliseconds);
                        var maxResponseBytes = o.MaxResponseSizeBytes;
                        o.HttpClientFactory = () => watch.CreateClient(signal, timeout, maxResponseBytes);
                    });
            }

            builder.Services.AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddTemporalInstrumentation().AddOtlpExporter(TracesSignal, null))
                .WithMetrics(metrics => metrics.AddOtlpExporter(MetricsSignal, (Action<OtlpExporterOptions>?)null));
            builder.Services.AddHostedService(sp => new OtlpExportShutdown(
                sp.GetService<TracerProvider>(),
                sp.GetService<MeterProvider>(),
                sp.GetService<TemporalMonitoringInterceptor>()));

            // Which meters is a setting, read once the options are bound.
            builder.Services.ConfigureOpenTelemetryMeterProvider((sp, metrics) => metrics.AddMonitoringMeters(
                sp.GetRequiredService<IOptions<TemporalMonitoringOptions>>().Value));
        }

        return builder;
    }
}
