using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Watchtower.Worker.Connection;

namespace Watchtower.Worker.Settings;

/// <summary>Validates the worker settings at start-up; each failure names the setting and the bad value.</summary>
/// <param name="configuration">Configuration, for the <c>TEMPORAL_*</c> variables.</param>
internal sealed class PipelineWorkerOptionsValidator(
    IConfiguration configuration) : IValidateOptions<PipelineWorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineWorkerOptions options)
    {
        var failures = new List<string>();
        CheckTimeSpan(
            failures,
            "Temporal:GracefulShutdownTimeout",
            options.GracefulShutdownTimeout,
            TimeSpan.Zero,
            TimeSpan.FromHours(1));
        CheckTimeSpan(
            failures,
            "Temporal:HealthCheckInterval",
            options.HealthCheckInterval,
            TimeSpan.FromMilliseconds(100),
            TimeSpan.FromMinutes(5));
        CheckTimeSpan(
            failures,
            "Temporal:ConnectRetry:InitialDelay",
            options.ConnectRetry.InitialDelay,
            TimeSpan.FromMilliseconds(10),
            TimeSpan.FromMinutes(5));
        CheckTimeSpan(
            failures,
            "Temporal:ConnectRetry:MaxDelay",
            options.ConnectRetry.MaxDelay,
            options.ConnectRetry.InitialDelay,
            TimeSpan.FromMinutes(30));
        CheckPort(failures, "Temporal:DevServer:Port", options.DevServer.Port);
        CheckPort(failures, "Temporal:DevServer:UiPort", options.DevServer.UiPort);
        if (options.DevServer.Port == options.DevServer.UiPort)
        {
            failures.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"Temporal:DevServer:Port and Temporal:DevServer:UiPort must differ "
                + $"(both are {options.DevServer.Port})."));
        }

        CheckDispatcher(failures, options.Dispatcher);
        if (failures.Count > 0)
        {
            return ValidateOptionsResult.Fail(failures);
        }

        ConnectionSettings settings;
        try
        {
            settings = ConnectionSettings.Resolve(options, configuration);
        }
        catch (InvalidOperationException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }

        if (settings.TaskQueue.Length > 1000 || settings.TaskQueue.Any(char.IsControl))
        {
            failures.Add("Temporal:TaskQueue (TEMPORAL_TASK_QUEUE) must be at most 1000 printable characters.");
        }

        if (!settings.IsLocal && !IsHostPort(settings.ConnectOptions.TargetHost!))
        {
            failures.Add(
                $"Temporal:Address (TEMPORAL_ADDRESS) '{settings.ConnectOptions.TargetHost}' must be host:port, "
                + "for example localhost:7233 or my-ns.a1b2c.tmprl.cloud:7233.");
        }

        var tls = settings.ConnectOptions.Tls;
        if (tls is not null && (tls.ClientCert is null) != (tls.ClientPrivateKey is null))
        {
            failures.Add(
                "Temporal:Tls:ClientCertPath (TEMPORAL_TLS_CLIENT_CERT_PATH) and Temporal:Tls:ClientKeyPath "
                + "(TEMPORAL_TLS_CLIENT_KEY_PATH) must be set together for mTLS.");
        }

        if (settings.CliPath is { } cli && !File.Exists(cli))
        {
            failures.Add($"Temporal:DevServer:CliPath (TEMPORAL_CLI_PATH) '{cli}' does not exist.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }

    private static void CheckDispatcher(List<string> failures, PipelineWorkerOptions.DispatcherSettings dispatcher)
    {
        if (!dispatcher.Enabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(dispatcher.Id)
            || dispatcher.Id.Length > 200
            || dispatcher.Id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            failures.Add($"Temporal:Dispatcher:Id must be 1-200 characters without spaces (got '{dispatcher.Id}').");
        }

        var before = failures.Count;
        CheckTimeSpan(
            failures,
            "Temporal:Dispatcher:HeartbeatInterval",
            dispatcher.HeartbeatInterval,
            TimeSpan.FromSeconds(1),
            TimeSpan.FromMinutes(10));
        if (failures.Count == before && dispatcher.HeartbeatInterval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            failures.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"Temporal:Dispatcher:HeartbeatInterval must be whole seconds "
                + $"(got {dispatcher.HeartbeatInterval:c})."));
        }

        // One missed heartbeat leaves a gap of two intervals and a round trip; that alone must not make it stale.
        if (dispatcher.StaleAfter <= 2 * dispatcher.HeartbeatInterval || dispatcher.StaleAfter > TimeSpan.FromHours(1))
        {
            failures.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"Temporal:Dispatcher:StaleAfter must be more than twice Temporal:Dispatcher:HeartbeatInterval "
                + $"({dispatcher.HeartbeatInterval:c}) and at most 01:00:00 (got {dispatcher.StaleAfter:c})."));
        }
    }

    private static bool IsHostPort(string target)
    {
        var colon = target.LastIndexOf(':');
        return colon > 0
            && !target.Contains("://", StringComparison.Ordinal)
            && int.TryParse(target.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and <= 65535;
    }

    private static void CheckTimeSpan(List<string> failures, string setting, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{setting} must be between {min:c} and {max:c} (got {value:c})."));
        }
    }

    private static void CheckPort(List<string> failures, string setting, int port)
    {
        if (port is < 1 or > 65535)
        {
            failures.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{setting} must be a TCP port between 1 and 65535 (got {port})."));
        }
    }
}
