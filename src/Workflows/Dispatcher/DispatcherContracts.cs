using System.Text.Json.Serialization;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.Workflows.Dispatcher;

/// <summary>Work sent to the dispatcher with the <c>submit</c> signal.</summary>
/// <param name="RequestId">Caller-chosen id; also names the child workflow, so a repeated id is not run
/// twice.</param>
/// <param name="Pipeline">The pipeline to run.</param>
public sealed record DispatchRequest(string? RequestId, DocumentPipelineInput? Pipeline) : IWorkflowInput
{
    /// <inheritdoc />
    [JsonIgnore]
    public string? DecodeError { get; init; }
}

/// <summary>Input of <see cref="DocumentDispatcherWorkflow"/>; also carries state across continue-as-new.</summary>
/// <param name="MaxHistoryEvents">Continue as new once history reaches this many events (20-10000, default
/// 2000).</param>
/// <param name="Totals">Counters carried over by continue-as-new.</param>
/// <param name="Attachment">The worker the dispatcher heartbeats to, carried over by continue-as-new.</param>
/// <param name="Backlog">Requests received and not yet dispatched, carried over by continue-as-new (at most 1000
/// and 1.25 MiB).</param>
public sealed record DispatcherInput(
    int? MaxHistoryEvents = null,
    DispatcherTotals? Totals = null,
    DispatcherAttachment? Attachment = null,
    IReadOnlyList<DispatchRequest>? Backlog = null) : IWorkflowInput
{
    /// <inheritdoc />
    [JsonIgnore]
    public string? DecodeError { get; init; }
}

/// <summary>Dispatcher counters, kept across continue-as-new.</summary>
/// <param name="Dispatched">Child pipelines started.</param>
/// <param name="Rejected">Requests rejected as invalid.</param>
/// <param name="Duplicates">Requests whose id had already been dispatched.</param>
/// <param name="Generation">Runs of this dispatcher so far (1 for the first, +1 per continue-as-new).</param>
/// <param name="LastRejection">Why the last invalid request was rejected, if any (at most 500 characters).</param>
public sealed record DispatcherTotals(
    int Dispatched,
    int Rejected,
    int Duplicates,
    int Generation,
    string? LastRejection = null);

/// <summary>Returned by the dispatcher's <c>status</c> query.</summary>
/// <param name="Totals">Counters across all runs.</param>
/// <param name="Pending">Requests waiting to be dispatched.</param>
/// <param name="HistoryLength">Events in the current run's history.</param>
/// <param name="Attachment">The worker the dispatcher heartbeats to, if one attached.</param>
/// <param name="HeartbeatsMissed">Heartbeats in a row that did not reach that worker (0 when the last one did).</param>
public sealed record DispatcherStatus(
    DispatcherTotals Totals,
    int Pending,
    int HistoryLength,
    DispatcherAttachment? Attachment = null,
    int HeartbeatsMissed = 0);

/// <summary>
/// Sent with the dispatcher's <c>attach</c> update by the worker that runs it: from then on the
/// dispatcher proves it is alive by running the <c>recordDispatcherHeartbeat</c> activity on that
/// worker's own task queue every interval. A later attachment takes over; the worker attached before
/// is told by a <c>releaseDispatcher</c> activity on its queue.
/// </summary>
/// <param name="HeartbeatTaskQueue">A task queue only the attaching worker process polls.</param>
/// <param name="HeartbeatIntervalSeconds">Seconds between heartbeats (1-600).</param>
/// <param name="Number">Set by the dispatcher: 1 for its first attachment, +1 for each after it.</param>
public sealed record DispatcherAttachment(
    string? HeartbeatTaskQueue,
    int? HeartbeatIntervalSeconds,
    int? Number = null) : IWorkflowInput
{
    /// <inheritdoc />
    [JsonIgnore]
    public string? DecodeError { get; init; }
}

/// <summary>Input of the dispatcher heartbeat activities.</summary>
/// <param name="DispatcherId">The dispatcher's workflow id.</param>
/// <param name="Attachment">The number of the attachment the heartbeat or release is for.</param>
public sealed record DispatcherHeartbeat(string DispatcherId, int Attachment = 0);
