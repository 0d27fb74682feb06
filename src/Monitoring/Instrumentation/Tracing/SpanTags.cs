namespace Watchtower.Monitoring.Tracing;

/// <summary>Span attribute names, spelled as the Go SDK's OpenTelemetry interceptor spells them.</summary>
internal static class SpanTags
{
    public const string WorkflowId = "temporalWorkflowID";
    public const string RunId = "temporalRunID";
    public const string ActivityId = "temporalActivityID";
    public const string UpdateId = "temporalUpdateID";
    public const string ErrorType = "error.type";
    public const string Outcome = "temporal.outcome";
}
