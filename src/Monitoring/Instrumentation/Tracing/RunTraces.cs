using System.Diagnostics;
using Temporalio.Workflows;

namespace Watchtower.Monitoring.Tracing;

/// <summary>Which trace a workflow run belongs to, decided from its history alone, the same on every replay.</summary>
internal static class RunTraces
{
    /// <summary>
    /// Whether this run begins a trace of its own, linked to <paramref name="caller"/>: a run that continued
    /// as new, or the next run of a cron schedule, whose header is the run before's (or the schedule's
    /// first caller's). A retry (attempt 2 and on) stays with the caller that is waiting for it.
    /// </summary>
    public static bool StartsNewTrace(
        TemporalMonitoringInterceptorOptions options, WorkflowInfo info, ActivityContext caller) =>
        options.ContinueAsNewStartsNewTrace && caller != default && info.ContinuedRunId is not null
        && info.Attempt <= 1;

    /// <summary>The run's trace id: its caller's, or one derived from the run id when it starts a trace.</summary>
    public static ActivityTraceId TraceIdOf(TemporalMonitoringInterceptorOptions options, WorkflowInfo info)
    {
        TraceHeader.TryRead(info.Headers, options.HeaderKey, out var remote);
        return remote.Context == default || StartsNewTrace(options, info, remote.Context)
            ? SpanIds.ForRootTrace(info.RunId)
            : remote.Context.TraceId;
    }
}
