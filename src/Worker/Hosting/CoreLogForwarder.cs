using Microsoft.Extensions.Logging;
using Temporalio.Runtime;

namespace Watchtower.Worker.Hosting;

/// <summary>
/// Receives the Temporal Core (Rust) logs, which would otherwise go straight to stderr in their own
/// format, and writes them through .NET logging under <c>Temporalio.Core</c>. Core's per-poller
/// "gRPC call ... retried N times" warnings are demoted to Debug: during an outage there is one per
/// poller per retry, and <see cref="ResilientWorkerService"/> already reports the outage in one line
/// per check with the address and the cause.
/// </summary>
/// <param name="inner">Logger for the <c>Temporalio.Core</c> category.</param>
internal sealed class CoreLogForwarder(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    // Debug must pass the runtime's enabled check, or demoted entries could never be seen at all.
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel) || inner.IsEnabled(LogLevel.Debug);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel > LogLevel.Debug && IsRetryNoise(state))
        {
            logLevel = LogLevel.Debug;
        }

        if (inner.IsEnabled(logLevel))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    // The SDK's forwarded entry type is internal; its structured fields, "Target" among them, are not.
    private static bool IsRetryNoise<TState>(TState state)
    {
        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            foreach (var (key, value) in fields)
            {
                if (key == "Target")
                {
                    return value is string target && target.EndsWith("::retry", StringComparison.Ordinal);
                }
            }
        }

        return false;
    }

    /// <summary>Creates the process's Temporal runtime with Core logs forwarded to .NET logging.</summary>
    /// <param name="loggerFactory">The host's logger factory.</param>
    /// <param name="metrics">Where the SDK's own metrics go, if anywhere.</param>
    /// <returns>The runtime, to share by every client and dev server of the host.</returns>
    public static TemporalRuntime CreateRuntime(ILoggerFactory loggerFactory, MetricsOptions? metrics = null) =>
        new(new TemporalRuntimeOptions(new TelemetryOptions
        {
            Metrics = metrics,
            Logging = new LoggingOptions
            {
                Forwarding = new LogForwardingOptions(new CoreLogForwarder(loggerFactory.CreateLogger("Temporalio.Core"))),
            },
        }));
}
