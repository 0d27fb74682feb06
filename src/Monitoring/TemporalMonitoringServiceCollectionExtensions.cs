using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Temporalio.Runtime;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Metrics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Temporal monitoring: interceptors, the SDK metrics bridge, and export.</summary>
public static class TemporalMonitoringServiceCollectionExtensions
{
    /// <summary>
    /// Adds spans and metrics for Temporal clients and workers. Registers
    /// <see cref="TemporalMonitoringInterceptor"/> (add it to the client's interceptors), an
    /// <see cref="ICustomMetricMeter"/> for the runtime's <c>MetricsOptions.CustomMetricMeter</c>, the
    /// Prometheus scrape endpoint (<c>MONITORING_*</c>), and OTLP export of traces and metrics when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (standard <c>OTEL_*</c> variables apply).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">Configuration holding the <c>Monitoring</c> section and the
    /// <c>MONITORING_*</c> and <c>OTEL_*</c> variables; the process environment when null.</param>
    /// <param name="configure">Changes applied after configuration.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddTemporalMonitoring(
        this IServiceCollection services,
        IConfiguration? configuration = null,
        Action<TemporalMonitoringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        configuration ??= new ConfigurationBuilder().AddEnvironmentVariables().Build();

        services.AddOptions<TemporalMonitoringOptions>()
            .Configure(options => Bind(options, configuration, configure))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TemporalMonitoringOptions>, TemporalMonitoringOptionsValidator>());

        // Decisions that shape the providers are taken now, from the same sources the options bind from.
        var snapshot = new TemporalMonitoringOptions();
        Bind(snapshot, configuration, configure);
        var resource = ResourceBuilder.CreateDefault()
            .AddService(snapshot.ServiceName, serviceVersion: Telemetry.Version)
            .AddEnvironmentVariableDetector();
        var otlpEndpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];

        services.TryAddSingleton(sp => new TemporalMonitoringInterceptor(
            sp.GetRequiredService<ILoggerFactory>(), snapshot.Tracing, snapshot.Metrics));
        if (snapshot.Metrics)
        {
            services.TryAddSingleton<TemporalSdkMetricMeter>();
            services.TryAddSingleton<ICustomMetricMeter>(sp => sp.GetRequiredService<TemporalSdkMetricMeter>());
            services.TryAddSingleton(sp => sp.GetRequiredService<TemporalSdkMetricMeter>().RuntimeOptions);
        }

        services.AddSingleton(new MonitoringResource(resource));
        services.AddHostedService(sp => new PrometheusScrapeEndpoint(
            sp.GetRequiredService<IOptions<TemporalMonitoringOptions>>(),
            sp.GetRequiredService<MonitoringResource>().Builder,
            sp.GetRequiredService<ILogger<PrometheusScrapeEndpoint>>()));

        var otel = services.AddOpenTelemetry().ConfigureResource(r => r
            .AddService(snapshot.ServiceName, serviceVersion: Telemetry.Version)
            .AddEnvironmentVariableDetector());
        if (snapshot.Tracing)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddTemporalInstrumentation();
                if (!string.IsNullOrWhiteSpace(otlpEndpoint))
                {
                    tracing.AddOtlpExporter();
                }
            });
        }

        if (snapshot.Metrics && !string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            otel.WithMetrics(metrics =>
            {
                metrics.AddTemporalInstrumentation().AddRuntimeInstrumentationIf(snapshot.RuntimeMetrics).AddOtlpExporter();
            });
        }

        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            services.AddHostedService(sp => new OtlpExportAnnouncement(
                sp.GetRequiredService<ILogger<OtlpExportAnnouncement>>(),
                configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "grpc",
                otlpEndpoint,
                configuration["OTEL_SERVICE_NAME"] ?? snapshot.ServiceName));
        }

        return services;
    }

    private static void Bind(TemporalMonitoringOptions options, IConfiguration configuration, Action<TemporalMonitoringOptions>? configure)
    {
        configuration.GetSection(TemporalMonitoringOptions.SectionName).Bind(options);

        // The documented variables win over the section, as TEMPORAL_* do for the connection.
        if (configuration["MONITORING_ENABLED"] is { } enabled)
        {
            options.Enabled = ParseBool(enabled, "MONITORING_ENABLED");
        }

        if (configuration["MONITORING_HOST"] is { Length: > 0 } host)
        {
            options.Host = host;
        }

        if (configuration["MONITORING_PORT"] is { Length: > 0 } port)
        {
            options.Port = int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new OptionsValidationException(TemporalMonitoringOptions.SectionName, typeof(TemporalMonitoringOptions), [$"MONITORING_PORT must be a port number; got '{port}'."]);
        }

        if (configuration["MONITORING_PATH"] is { Length: > 0 } path)
        {
            options.Path = path;
        }

        configure?.Invoke(options);
    }

    private static bool ParseBool(string value, string name) =>
        value.Trim().ToUpperInvariant() switch
        {
            "TRUE" or "1" or "YES" or "ON" => true,
            "FALSE" or "0" or "NO" or "OFF" => false,
            _ => throw new OptionsValidationException(TemporalMonitoringOptions.SectionName, typeof(TemporalMonitoringOptions), [$"{name} must be true or false; got '{value}'."]),
        };
}
