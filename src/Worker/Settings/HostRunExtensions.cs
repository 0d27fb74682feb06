using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs the worker's host the way a user expects from a command: errors in one line, exit codes.</summary>
public static class HostRunExtensions
{
    /// <summary>
    /// Runs the host until it is stopped. A bad setting stops start-up with one line on standard error that
    /// names the setting, and exit code 78 (EX_CONFIG); anything else fails as it would.
    /// </summary>
    /// <param name="host">The host.</param>
    /// <returns>The process exit code: 0, or 78 for a configuration error.</returns>
    public static async Task<int> RunWithConfigurationErrorsReportedAsync(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            // The settings are checked before the host starts: once started, it would log a start-up failure
            // with its stack trace first.
            host.Services.GetService<IStartupValidator>()?.Validate();
            host.Services.GetRequiredService<ConnectionSettings>();
        }
        catch (Exception e) when (ConfigurationErrors.Describe(e) is { } line)
        {
            await Console.Error.WriteLineAsync("Configuration error: " + line).ConfigureAwait(false);
            return ConfigurationErrors.ExitCode;
        }

        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
