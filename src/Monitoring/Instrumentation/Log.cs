using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring;

/// <summary>The instrumentation's log messages. Event ids 3000-3009.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3007, EventName = "TraceContextDropped", Level = LogLevel.Warning,
        Message = "Left {Parts} out of a trace context that broke the W3C limits "
            + "(tracestate: 32 members, 512 characters; baggage: 180 entries, 8192 bytes; header: 16 KiB); "
            + "the trace goes on. {HeldBack} more since the last warning")]
    public static partial void TraceContextDropped(ILogger logger, string parts, long heldBack);

    [LoggerMessage(EventId = 3000, EventName = "MalformedTraceHeader", Level = LogLevel.Warning,
        Message = "Ignored a malformed _tracer-data header on {Operation} (workflow type {WorkflowType}); "
            + "the span starts a new trace. {HeldBack} more since the last warning")]
    public static partial void MalformedTraceHeader(
        ILogger logger, string operation, string workflowType, long heldBack);

    [LoggerMessage(EventId = 3001, EventName = "WorkflowSpansUnavailable", Level = LogLevel.Warning,
        Message = "Workflow spans are off: this runtime does not let span ids be derived from the workflow run "
            + "({Reason}). Client and activity spans are unaffected")]
    public static partial void WorkflowSpansUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3005, EventName = "SdkMetricFailed", Level = LogLevel.Warning,
        Message = "Temporal SDK metric {Name} could not be recorded and is dropped from now on: {Reason}")]
    public static partial void SdkMetricFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 3006, EventName = "TelemetryFailed", Level = LogLevel.Warning,
        Message = "A span or measurement could not be recorded ({ExceptionType}: {Reason}) and was dropped; "
            + "this is said once, the worker carries on")]
    public static partial void TelemetryFailed(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(EventId = 3008, EventName = "TraceIdSearchAttributeMissing", Level = LogLevel.Information,
        Message = "Runs are not given the search attribute {Name}: namespace {Namespace} has no Keyword attribute of "
            + "that name ({Found}). Register it to find runs by trace id: "
            + "temporal operator search-attribute create --name {Name} --type Keyword")]
    public static partial void TraceIdSearchAttributeMissing(
        ILogger logger, string name, string @namespace, string found);
}
