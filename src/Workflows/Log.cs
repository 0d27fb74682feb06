using Microsoft.Extensions.Logging;

namespace Watchtower.Workflows;

/// <summary>Log messages of the workflows and activities. Ids 1000-1999 belong to this project.</summary>
internal static partial class Log
{
    [LoggerMessage(
        1000,
        LogLevel.Information,
        "Publish resumed after {Published} of {Total} documents (attempt {Attempt})",
        EventName = "PublishResumed")]
    public static partial void PublishResumed(ILogger logger, int published, int total, int attempt);

    [LoggerMessage(1001, LogLevel.Warning, "Pipeline input rejected: {Reason}", EventName = "PipelineInputRejected")]
    public static partial void PipelineInputRejected(ILogger logger, string reason);

    [LoggerMessage(
        1002,
        LogLevel.Information,
        "Pipeline {Stage}: {Analyzed} of {Total} documents analysed",
        EventName = "PipelineStageChanged")]
    public static partial void PipelineStageChanged(
        ILogger logger,
        Pipeline.PipelineStage stage,
        int analyzed,
        int total);

    [LoggerMessage(1003, LogLevel.Warning, "Review rejected the pipeline", EventName = "PipelineRejected")]
    public static partial void PipelineRejected(ILogger logger);

    [LoggerMessage(1004, LogLevel.Warning, "Dispatcher rejected a request: {Reason}", EventName = "DispatchRejected")]
    public static partial void DispatchRejected(ILogger logger, string reason);

    [LoggerMessage(
        1005,
        LogLevel.Information,
        "Dispatcher skipped request {RequestId}: already dispatched",
        EventName = "DispatchDuplicate")]
    public static partial void DispatchDuplicate(ILogger logger, string requestId);

    [LoggerMessage(
        1006,
        LogLevel.Information,
        "Dispatcher continuing as new after {HistoryLength} events, carrying {Backlog} requests over",
        EventName = "DispatcherContinuingAsNew")]
    public static partial void DispatcherContinuingAsNew(ILogger logger, int historyLength, int backlog);

    [LoggerMessage(1007, LogLevel.Warning, "Review signal ignored: {Reason}", EventName = "ReviewIgnored")]
    public static partial void ReviewIgnored(ILogger logger, string reason);

    [LoggerMessage(
        1008,
        LogLevel.Warning,
        "Dispatcher heartbeat did not reach task queue {HeartbeatTaskQueue}; is its worker running?",
        EventName = "DispatcherHeartbeatMissed")]
    public static partial void DispatcherHeartbeatMissed(ILogger logger, string heartbeatTaskQueue);

    [LoggerMessage(
        1009,
        LogLevel.Information,
        "Dispatcher heartbeat reaches task queue {HeartbeatTaskQueue} again after {Missed} missed",
        EventName = "DispatcherHeartbeatRestored")]
    public static partial void DispatcherHeartbeatRestored(ILogger logger, string heartbeatTaskQueue, int missed);

    [LoggerMessage(
        1010,
        LogLevel.Warning,
        "Dispatcher canceled with request {RequestId} pending: it was not dispatched; "
            + "submit it to a running dispatcher",
        EventName = "DispatchPendingAtCancel")]
    public static partial void DispatchPendingAtCancel(ILogger logger, string requestId);

    [LoggerMessage(
        1011,
        LogLevel.Warning,
        "Dispatcher canceled while starting request {RequestId}: "
            + "check whether workflow {ChildId} exists, else submit it again",
        EventName = "DispatchInterruptedByCancel")]
    public static partial void DispatchInterruptedByCancel(ILogger logger, string requestId, string childId);

    [LoggerMessage(
        1012,
        LogLevel.Warning,
        "Dispatcher canceled: {Undispatched} requests not dispatched (each logged above), "
            + "{Dispatched} dispatched in all",
        EventName = "DispatcherCanceled")]
    public static partial void DispatcherCanceled(ILogger logger, int undispatched, int dispatched);

    [LoggerMessage(
        1013,
        LogLevel.Information,
        "Pipeline completed: {Published} documents published, {DurationMs:0} ms after the run started",
        EventName = "PipelineCompleted")]
    public static partial void PipelineCompleted(ILogger logger, int published, double durationMs);

    [LoggerMessage(
        1014,
        LogLevel.Information,
        "Published {Count} documents in {DurationMs:0} ms",
        EventName = "DocumentsPublished")]
    public static partial void DocumentsPublished(ILogger logger, int count, double durationMs);
}
