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
    public const string Namespace = "temporal.namespace";
    public const string TaskQueue = "temporal.task_queue";
    public const string Attempt = "temporal.attempt";

    /// <summary>Prefix of the search attributes a user chose to put on workflow spans.</summary>
    public const string SearchAttributePrefix = "temporal.search_attribute.";

    private static readonly object[] SmallAttempts = [.. Enumerable.Range(0, 11).Select(static i => (object)i)];

    /// <summary>The attempt number as a tag value, boxed once for the first ten attempts.</summary>
    public static object AttemptValue(int attempt) =>
        (uint)attempt < (uint)SmallAttempts.Length ? SmallAttempts[attempt] : attempt;
}
