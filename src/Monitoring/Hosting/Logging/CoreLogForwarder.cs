using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring.Hosting.Logging;

/// <summary>
/// Receives the Temporal Core (Rust) logs, which would otherwise go straight to stderr in their own
/// format, and writes them through .NET logging under <c>Temporalio.Core</c>. Core's per-poller
/// "gRPC call ... retried N times" warnings are demoted to Debug: during an outage there is one per
/// poller per retry, and a host's own connection watch says the same in one line per check. So is
/// "Activity heartbeat failed" for an activity Core no longer knows: under load a throttled heartbeat
/// races the activity's own completion, and nothing is lost or needs doing.
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
        if (logLevel > LogLevel.Debug && IsHarmless(state))
        {
            logLevel = LogLevel.Debug;
        }

        if (inner.IsEnabled(logLevel))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    // The SDK's forwarded entry type is internal; its structured fields ("Target", "Message" and, when
    // the runtime includes them, "JsonFields") are not.
    private static bool IsHarmless<TState>(TState state)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            return false;
        }

        string? target = null;
        string? message = null;
        IReadOnlyDictionary<string, string>? details = null;
        foreach (var (key, value) in fields)
        {
            switch (key)
            {
                case "Target":
                    target = value as string;
                    break;
                case "Message":
                    message = value as string;
                    break;
                case "JsonFields":
                    details = value as IReadOnlyDictionary<string, string>;
                    break;
            }
        }

        if (target is not null && target.EndsWith("::retry", StringComparison.Ordinal))
        {
            return true;
        }

        return message is not null
            && message.StartsWith("Activity heartbeat failed", StringComparison.Ordinal)
            && IsLateHeartbeat(details);
    }

    // Without fields the error cannot be told apart, and Core raises it almost only for a heartbeat that
    // arrives after its activity finished (UnknownActivity) or while the worker shuts down (ShuttingDown),
    // neither needing action. With fields, any other error still warns.
    private static bool IsLateHeartbeat(IReadOnlyDictionary<string, string>? fields) =>
        fields is null
        || !fields.TryGetValue("details", out var error)
        || error.Contains("UnknownActivity", StringComparison.Ordinal)
        || error.Contains("ShuttingDown", StringComparison.Ordinal);
}
