using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring.Hosting.Logging;

/// <summary>
/// Receives the Temporal Core (Rust) logs, which would otherwise go straight to stderr in their own
/// format, and writes them through .NET logging under <c>Temporalio.Core</c>. Core's per-poller
/// "gRPC call ... retried N times" warnings are demoted to Debug: during an outage there is one per
/// poller per retry, and a host's own connection watch says the same in one line per check.
/// </summary>
/// <param name="inner">Logger for the <c>Temporalio.Core</c> category.</param>
internal sealed class CoreLogForwarder(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    // Debug must pass the runtime's enabled check, or demoted entries could never be seen at all.
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel) || inner.IsEnabled(LogLevel.Debug);

    public void Log<TState>(
        LogLevel logLevel,
        EventId eventId,
        TState state,
        Exception? exception,
        Func<TState, Exception?, string> formatter)
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
}
