using Microsoft.Extensions.Logging;
using Temporalio.Runtime;
using Watchtower.Monitoring.Hosting.Logging;

namespace Watchtower.Monitoring.Hosting;

/// <summary>
/// Temporal Core's (Rust) logs through .NET logging, under the <c>Temporalio.Core</c> category, instead
/// of straight to stderr in Core's own format. Core's per-poller retry warnings, one per poller per retry
/// while the server is away, are demoted to Debug.
/// </summary>
public static class TemporalCoreLogs
{
    /// <summary>
    /// Creates logging options for a <see cref="TemporalRuntime"/>:
    /// <c>new TemporalRuntime(new(new TelemetryOptions { Logging = TemporalCoreLogs.ForwardTo(loggerFactory) }))</c>.
    /// </summary>
    /// <param name="loggerFactory">The host's logger factory.</param>
    /// <returns>New options for one runtime.</returns>
    public static LoggingOptions ForwardTo(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return new LoggingOptions
        {
            Forwarding = new LogForwardingOptions(new CoreLogForwarder(loggerFactory.CreateLogger("Temporalio.Core"))),
        };
    }
}
