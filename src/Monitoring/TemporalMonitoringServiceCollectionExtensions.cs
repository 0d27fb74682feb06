using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Temporalio.Runtime;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Dispatchers;
using Watchtower.Monitoring.Health;
using Watchtower.Monitoring.Memory;
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

        // One service name and one instance id for every provider, so the scrape and OTLP agree.
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } configured ? configured : snapshot.ServiceName;
        var instanceId = Guid.NewGuid().ToString();
        void Describe(ResourceBuilder r) => r
            .AddService(serviceName, serviceVersion: Telemetry.Version, serviceInstanceId: instanceId)
            .AddEnvironmentVariableDetector();
        var resource = ResourceBuilder.CreateDefault();
        Describe(resource);
        // An endpoint that is not a URL turns OTLP off with one warning, as a monitor that cannot start
        // does; the value itself is never logged (it may carry credentials).
        var otlpEndpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var otlpError = string.IsNullOrWhiteSpace(otlpEndpoint) || IsHttpUrl(otlpEndpoint)
            ? null
            : new ArgumentException("OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http:// or https:// URL such as http://localhost:4317; OTLP export is off.");
        var otlp = !string.IsNullOrWhiteSpace(otlpEndpoint) && otlpError is null;

        services.TryAddSingleton(sp => new TemporalMonitoringInterceptor(
            sp.GetRequiredService<ILoggerFactory>(), snapshot.Tracing, snapshot.Metrics));
        if (snapshot.Metrics)
        {
            services.TryAddSingleton<TemporalSdkMetricMeter>();
            services.TryAddSingleton<ICustomMetricMeter>(sp => sp.GetRequiredService<TemporalSdkMetricMeter>());
            services.TryAddSingleton(sp => sp.GetRequiredService<TemporalSdkMetricMeter>().RuntimeOptions);
        }

        services.AddSingleton(new MonitoringResource(resource));
        services.TryAddSingleton<MonitoringStatus>();
        services.AddHostedService(sp => new PrometheusScrapeEndpoint(
            sp.GetRequiredService<IOptions<TemporalMonitoringOptions>>(),
            sp.GetRequiredService<MonitoringResource>().Builder,
            sp.GetRequiredService<MonitoringStatus>(),
            sp.GetRequiredService<ILogger<PrometheusScrapeEndpoint>>()));

        // Each monitor starts on its own; one that cannot becomes a no-op and the worker goes on.
        AddMonitor<IMemoryMonitor, MemoryMonitorOptions>(
            services,
            configuration,
            "memory",
            MemoryMonitorOptionsCheck.Section,
            MemoryMonitorOptionsCheck.ThrowIfInvalid,
            (sp, memory, time) => new MemoryMonitor(new RuntimeMemorySource(), time, sp.GetRequiredService<ILogger<MemoryMonitor>>(), memory),
            e => new NoOpMemoryMonitor(e));
        AddMonitor<IDispatcherHeartbeatMonitor, DispatcherMonitorOptions>(
            services,
            configuration,
            "dispatchers",
            DispatcherMonitorOptions.Section,
            DispatcherMonitorOptions.ThrowIfInvalid,
            (sp, dispatchers, time) => new DispatcherHeartbeatMonitor(time, sp.GetRequiredService<ILogger<DispatcherHeartbeatMonitor>>(), dispatchers.CheckInterval),
            e => new NoOpDispatcherHeartbeatMonitor(e));
        services.AddHostedService<MonitorsStarter>();

        // /health/live, /health/startup and /health/ready beside /metrics. The Temporal checks are
        // added by AddTemporalWorkerHealthChecks, by the host that runs the worker and reports to them.
        services.TryAddSingleton<TemporalWorkerHealth>();
        services.AddHealthChecks()
            .AddCheck<MonitoringHealthChecks.Dispatchers>("dispatchers", tags: [MonitoringHealthChecks.ReadyTag])
            .AddCheck<MonitoringHealthChecks.MemoryCheck>("memory", tags: [MonitoringHealthChecks.ReadyTag])
            .AddCheck<MonitoringHealthChecks.Monitors>("monitors", tags: [MonitoringHealthChecks.ReadyTag]);
        services.AddHostedService<HealthEndpoint>();

        var otel = services.AddOpenTelemetry().ConfigureResource(Describe);
        if (snapshot.Tracing)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddTemporalInstrumentation();
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        }

        if (snapshot.Metrics && otlp)
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
                sp.GetRequiredService<MonitoringStatus>(),
                configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "grpc",
                Displayable(otlpEndpoint),
                serviceName,
                otlpError));
        }

        return services;
    }

    /// <summary>
    /// Adds the Temporal connection to startup and readiness. The host's worker must report to the
    /// <see cref="TemporalWorkerHealth"/> singleton (polling, lost, restored), or readiness never passes.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddTemporalWorkerHealthChecks(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<TemporalWorkerHealth>();
        services.AddHealthChecks()
            .AddCheck<MonitoringHealthChecks.Startup>("temporal-startup", tags: [MonitoringHealthChecks.StartupTag])
            .AddCheck<MonitoringHealthChecks.Temporal>("temporal", tags: [MonitoringHealthChecks.ReadyTag]);
        return services;
    }

    /// <summary>
    /// Registers a monitor that starts on first use from its own settings section: settings that
    /// cannot be bound or checked, or anything its start throws, give the no-op stand-in instead.
    /// </summary>
    private static void AddMonitor<TMonitor, TOptions>(
        IServiceCollection services,
        IConfiguration configuration,
        string name,
        string section,
        Action<TOptions> check,
        Func<IServiceProvider, TOptions, TimeProvider, TMonitor> start,
        Func<Exception, TMonitor> fallback)
        where TMonitor : class
        where TOptions : class
    {
        services.AddOptions<TOptions>().Configure(o => configuration.GetSection(section).Bind(o));
        services.TryAddSingleton(sp => sp.GetRequiredService<MonitoringStatus>().Start(
            name,
            () =>
            {
                var options = sp.GetRequiredService<IOptions<TOptions>>().Value;
                check(options);
                return start(sp, options, sp.GetService<TimeProvider>() ?? TimeProvider.System);
            },
            fallback));
    }

    private static void Bind(TemporalMonitoringOptions options, IConfiguration configuration, Action<TemporalMonitoringOptions>? configure)
    {
        try
        {
            configuration.GetSection(TemporalMonitoringOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // "Failed to convert configuration value 'x' at 'Monitoring:Port' ...": reported at start-up.
            options.SettingErrors.Add(e.Message);
        }

        // The documented variables win over the section, as TEMPORAL_* do for the connection.
        if (configuration["MONITORING_ENABLED"] is { } enabled)
        {
            if (ParseBool(enabled) is { } value)
            {
                options.Enabled = value;
            }
            else
            {
                options.SettingErrors.Add($"MONITORING_ENABLED must be true or false; got '{enabled}'.");
            }
        }

        if (configuration["MONITORING_HOST"] is { Length: > 0 } host)
        {
            options.Host = host;
        }

        if (configuration["MONITORING_PORT"] is { Length: > 0 } port)
        {
            if (int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                options.Port = value;
            }
            else
            {
                options.SettingErrors.Add($"MONITORING_PORT must be a port number; got '{port}'.");
            }
        }

        if (configuration["MONITORING_PATH"] is { Length: > 0 } path)
        {
            options.Path = path;
        }

        configure?.Invoke(options);
    }

    private static bool? ParseBool(string value) =>
        value.Trim().ToUpperInvariant() switch
        {
            "TRUE" or "1" or "YES" or "ON" => true,
            "FALSE" or "0" or "NO" or "OFF" => false,
            _ => null,
        };

    private static bool IsHttpUrl(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>Scheme, host and port only: an endpoint may carry credentials in its user info or query.</summary>
    private static string Displayable(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}:{uri.Port}" : "(an endpoint that is not a URL)";
}
