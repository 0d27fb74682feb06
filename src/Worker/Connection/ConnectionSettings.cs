using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Temporalio.Common.EnvConfig;
using Watchtower.Worker.Settings;
using Watchtower.Workflows;

namespace Watchtower.Worker.Connection;

/// <summary>
/// Turns <see cref="PipelineWorkerOptions"/> plus Temporal's own conventions into client connect
/// options. Precedence: the <c>Temporal</c> section (appsettings, <c>Temporal__*</c> variables, command
/// line), then <c>TEMPORAL_*</c> variables, then the profile in <c>temporal.toml</c>.
/// </summary>
internal sealed class ConnectionSettings
{
    private ConnectionSettings(TemporalClientConnectOptions connectOptions, string taskQueue, string? cliPath)
    {
        ConnectOptions = connectOptions;
        TaskQueue = taskQueue;
        CliPath = cliPath;
    }

    /// <summary>Gets the connect options; <c>TargetHost</c> is empty when no address is configured.</summary>
    public TemporalClientConnectOptions ConnectOptions { get; }

    /// <summary>Gets the task queue to poll.</summary>
    public string TaskQueue { get; }

    /// <summary>Gets the Temporal CLI path from <c>TEMPORAL_CLI_PATH</c> or the dev server settings, if any.</summary>
    public string? CliPath { get; }

    /// <summary>Gets a value indicating whether no address is configured, so a local server is used.</summary>
    public bool IsLocal => string.IsNullOrEmpty(ConnectOptions.TargetHost);

    /// <summary>Gets the namespace.</summary>
    public string Namespace => ConnectOptions.Namespace;

    /// <summary>Resolves the settings.</summary>
    /// <param name="options">Bound options.</param>
    /// <param name="configuration">Configuration, whose flat <c>TEMPORAL_*</c> keys stand for the environment.</param>
    /// <returns>The resolved settings.</returns>
    /// <exception cref="InvalidOperationException">
    /// A profile, config file or TLS file cannot be loaded; the message names the setting.
    /// </exception>
    public static ConnectionSettings Resolve(PipelineWorkerOptions options, IConfiguration configuration)
    {
        // The SDK reads TEMPORAL_* variables itself; feeding it the configuration's view instead of the raw
        // process environment lets them also come from the command line and keeps tests hermetic.
        var temporalVariables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is not null && !key.Contains(':', StringComparison.Ordinal)
                && key.StartsWith("TEMPORAL_", StringComparison.OrdinalIgnoreCase))
            {
                temporalVariables[key.ToUpperInvariant()] = value;
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Profile))
        {
            temporalVariables["TEMPORAL_PROFILE"] = options.Profile;
        }

        Override(temporalVariables, "TEMPORAL_TLS_CLIENT_CERT_PATH", options.Tls.ClientCertPath);
        Override(temporalVariables, "TEMPORAL_TLS_CLIENT_KEY_PATH", options.Tls.ClientKeyPath);
        Override(temporalVariables, "TEMPORAL_TLS_SERVER_CA_CERT_PATH", options.Tls.ServerCaCertPath);
        Override(temporalVariables, "TEMPORAL_TLS_SERVER_NAME", options.Tls.ServerName);

        TemporalClientConnectOptions connect;
        try
        {
            connect = ClientEnvConfig.LoadClientConnectOptions(new() { OverrideEnvVars = temporalVariables });
        }
        catch (Exception e) when (
            e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw ConfigurationErrors.Mark(new InvalidOperationException(
                "Temporal connection settings could not be loaded (check TEMPORAL_PROFILE / Temporal:Profile, "
                + $"TEMPORAL_CONFIG_FILE and the TLS file settings): {e.Message}",
                e));
        }

        if (!string.IsNullOrWhiteSpace(options.Address))
        {
            connect.TargetHost = options.Address.Trim();
        }

        if (!string.IsNullOrWhiteSpace(options.Namespace))
        {
            connect.Namespace = options.Namespace.Trim();
        }

        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            connect.ApiKey = options.ApiKey;
            connect.Tls ??= new TlsOptions();
        }

        connect.DataConverter = PipelineDataConverter.Instance;
        var taskQueue = FirstNonBlank(options.TaskQueue, configuration["TEMPORAL_TASK_QUEUE"])
            ?? PipelineWorkerOptions.DefaultTaskQueue;
        var cliPath = FirstNonBlank(options.DevServer.CliPath, configuration["TEMPORAL_CLI_PATH"]);
        return new ConnectionSettings(connect, taskQueue.Trim(), cliPath);
    }

    private static void Override(Dictionary<string, string> variables, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            variables[name] = value;
        }
    }

    private static string? FirstNonBlank(string? first, string? second) =>
        !string.IsNullOrWhiteSpace(first) ? first : !string.IsNullOrWhiteSpace(second) ? second : null;
}
