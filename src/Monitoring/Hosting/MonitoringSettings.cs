using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Resources;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting;

/// <summary>
/// What every monitoring step shares: <see cref="TemporalMonitoringOptions"/>, bound once from the
/// <c>Monitoring</c> section and the <c>MONITORING_*</c> variables and validated at start-up; the status
/// of each monitor; the resource every provider describes the service with.
/// </summary>
internal static class MonitoringSettings
{
    /// <summary>Registers the shared services; later calls find them there and add nothing.</summary>
    public static void Add(IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(MonitoringResource)))
        {
            return;
        }

        services.AddOptions<TemporalMonitoringOptions>()
            .Configure<IConfiguration>(Bind)
            .ValidateOnStart();
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<
                IValidateOptions<TemporalMonitoringOptions>,
                TemporalMonitoringOptionsValidator>());
        services.TryAddSingleton<MonitoringStatus>();
        services.AddSingleton<MonitoringResource>();

        // Every provider the host's OpenTelemetry builds describes the same service instance.
        services.AddOpenTelemetry().ConfigureResource(r => r
            .AddDetector(sp => sp.GetRequiredService<MonitoringResource>())
            .AddEnvironmentVariableDetector());
    }

    /// <summary>Runs one step once per host, however often it is called.</summary>
    /// <typeparam name="TStep">A type that stands for the step.</typeparam>
    /// <returns>False when the step was added already.</returns>
    public static bool FirstTime<TStep>(IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(StepMarker<TStep>)))
        {
            return false;
        }

        builder.Services.AddSingleton<StepMarker<TStep>>();
        Add(builder);
        return true;
    }

    private static void Bind(TemporalMonitoringOptions options, IConfiguration configuration)
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
        if (BoolVariable(configuration, "MONITORING_ENABLED", options) is { } enabled)
        {
            options.Enabled = enabled;
        }

        if (BoolVariable(configuration, "MONITORING_HEALTH", options) is { } health)
        {
            options.Health = health;
        }

        if (configuration["MONITORING_HOST"] is { Length: > 0 } host)
        {
            options.Host = host;
        }

        if (configuration["MONITORING_PORT"] is { Length: > 0 } port)
        {
            if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
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

        if (configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } serviceName)
        {
            options.ServiceName = serviceName;
        }
    }

    /// <summary>
    /// The service name as the options resolve it (<c>OTEL_SERVICE_NAME</c>, else <c>Monitoring:ServiceName</c>,
    /// else the default), for what must not wait for the options: the log formatter.
    /// </summary>
    public static string ServiceName(IConfiguration? configuration) =>
        configuration?["OTEL_SERVICE_NAME"] is { Length: > 0 } fromEnvironment ? fromEnvironment
        : configuration?[$"{TemporalMonitoringOptions.SectionName}:{nameof(TemporalMonitoringOptions.ServiceName)}"]
            is { Length: > 0 } fromSection ? fromSection
        : new TemporalMonitoringOptions().ServiceName;

    private static bool? BoolVariable(IConfiguration configuration, string name, TemporalMonitoringOptions options)
    {
        if (configuration[name] is not { } text)
        {
            return null;
        }

        var value = ParseBool(text);
        if (value is null)
        {
            options.SettingErrors.Add($"{name} must be true or false; got '{text}'.");
        }

        return value;
    }

    private static bool? ParseBool(string value) =>
        value.Trim().ToUpperInvariant() switch
        {
            "TRUE" or "1" or "YES" or "ON" => true,
            "FALSE" or "0" or "NO" or "OFF" => false,
            _ => null,
        };

    /// <summary>Stands for a step already added to a host.</summary>
    /// <typeparam name="TStep">The step.</typeparam>
    private sealed class StepMarker<TStep>;
}
