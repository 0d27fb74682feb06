using System.Diagnostics;
using Temporalio.Workflows;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Keeps a link to the run's trace at the end of its current details, which the Web UI shows (rendered as
/// markdown) on the run's page. The SDK answers the details query itself, past every interceptor, so the link must
/// be in the details the workflow code sets: a routine of the run's own waits for the code to change them and
/// appends the link again, in the same activation, before any query can see the details without it. It issues no
/// command, so history, replay and the order of the run's own commands stay as they are.
/// </summary>
internal static class TraceLinkInDetails
{
    public const string TraceIdPlaceholder = "{traceId}";

    /// <summary>Starts keeping the link; called from the run's first activation, on the workflow's scheduler.</summary>
    public static void Keep(string template, ActivityTraceId traceId)
    {
        var id = traceId.ToHexString();
        _ = KeepAsync($"[Trace {id}]({template.Replace(TraceIdPlaceholder, id, StringComparison.Ordinal)})");
    }

    // Nullable in practice: workflow code may set null despite the annotation.
    private static string Details() => Workflow.CurrentDetails ?? string.Empty;

    private static async Task KeepAsync(string link)
    {
        var separated = "\n\n" + link;
        while (true)
        {
            // Code that adds to its details (details += ...) carries the last link along: taken out, not repeated.
            var details = Details().Replace(separated, string.Empty, StringComparison.Ordinal)
                .Replace(link, string.Empty, StringComparison.Ordinal);
            Workflow.CurrentDetails = details.Length == 0 ? link : details + separated;

            // Not the run's cancellation: a run being cancelled still shows its details, link included. The SDK
            // checks the condition between the workflow's own steps, so it must not throw, whatever code set.
            await Workflow.WaitConditionAsync(
                () => !Details().EndsWith(link, StringComparison.Ordinal), CancellationToken.None);
        }
    }
}
