using System.Text.Json.Serialization;

namespace Watchtower.Workflows.Documents;

// Inputs keep every field nullable on purpose: a missing field must reach the workflow's own
// validation (which fails the run with a readable, non-retryable error) instead of failing
// deserialization somewhere the user cannot see.

/// <summary>One document handed to the pipeline.</summary>
/// <param name="Id">Caller-chosen identifier, unique within a pipeline run.</param>
/// <param name="Title">Human-readable title.</param>
/// <param name="Content">Plain-text body to analyse.</param>
public sealed record DocumentInput(string? Id, string? Title, string? Content);

/// <summary>Input of <see cref="DocumentPipelineWorkflow"/>.</summary>
/// <param name="Name">Name of the pipeline run, for people (for example "invoices-2026-11").</param>
/// <param name="Documents">Documents to analyse and publish.</param>
/// <param name="BatchSize">Documents per child batch workflow (1-100, default 5).</param>
/// <param name="ReviewWindowSeconds">How long to wait for a reviewer before auto-approving (0-604800, default 10).</param>
/// <param name="PublishDelayMs">Pause between published documents, protecting the index (0-60000, default 100).</param>
public sealed record DocumentPipelineInput(
    string? Name,
    IReadOnlyList<DocumentInput>? Documents,
    int? BatchSize = null,
    int? ReviewWindowSeconds = null,
    int? PublishDelayMs = null) : IWorkflowInput
{
    /// <inheritdoc />
    [JsonIgnore]
    public string? DecodeError { get; init; }
}

/// <summary>What the document analysis activity found.</summary>
/// <param name="Id">Document identifier.</param>
/// <param name="Title">Document title.</param>
/// <param name="Category">Detected category (invoice, receipt, contract, report or other).</param>
/// <param name="WordCount">Number of words.</param>
/// <param name="Sha256">Hex SHA-256 of the content, for de-duplication downstream.</param>
public sealed record DocumentAnalysis(string Id, string Title, string Category, int WordCount, string Sha256);

/// <summary>Input of <see cref="DocumentBatchWorkflow"/>.</summary>
/// <param name="PipelineName">Name of the parent pipeline run.</param>
/// <param name="BatchNumber">1-based batch number.</param>
/// <param name="Documents">Documents of this batch, already validated by the parent.</param>
public sealed record DocumentBatchInput(string PipelineName, int BatchNumber, IReadOnlyList<DocumentInput> Documents);

/// <summary>Result of <see cref="DocumentBatchWorkflow"/>.</summary>
/// <param name="BatchNumber">1-based batch number.</param>
/// <param name="Documents">Analyses in input order.</param>
public sealed record DocumentBatchResult(int BatchNumber, IReadOnlyList<DocumentAnalysis> Documents);

/// <summary>A reviewer's decision, sent with the <c>review</c> signal.</summary>
/// <param name="Approved">True to publish, false to stop the pipeline.</param>
/// <param name="Reviewer">Who decided.</param>
/// <param name="Comment">Optional reason.</param>
public sealed record ReviewDecision(bool Approved, string? Reviewer, string? Comment = null) : IWorkflowInput
{
    /// <inheritdoc />
    [JsonIgnore]
    public string? DecodeError { get; init; }
}

/// <summary>Input of the <c>publish</c> activity.</summary>
/// <param name="PipelineName">Name of the pipeline run.</param>
/// <param name="Documents">Documents to publish, in order.</param>
/// <param name="DelayMs">Pause between documents.</param>
public sealed record PublishRequest(string PipelineName, IReadOnlyList<DocumentAnalysis> Documents, int DelayMs);

/// <summary>Pipeline stages, in order.</summary>
public enum PipelineStage
{
    /// <summary>Input accepted, nothing analysed yet.</summary>
    Validating,

    /// <summary>Child batch workflows are analysing documents.</summary>
    Analyzing,

    /// <summary>Waiting for a reviewer (durable timer running).</summary>
    AwaitingReview,

    /// <summary>The long publish activity is running.</summary>
    Publishing,

    /// <summary>Finished successfully.</summary>
    Completed,

    /// <summary>A reviewer rejected the run.</summary>
    Rejected,
}

/// <summary>Live progress of a pipeline run, returned by the <c>progress</c> query.</summary>
/// <param name="Stage">Current stage.</param>
/// <param name="DocumentsTotal">Documents accepted so far (input plus updates).</param>
/// <param name="DocumentsAnalyzed">Documents analysed so far.</param>
/// <param name="BatchesCompleted">Child batches finished.</param>
/// <param name="ReviewDeadline">When the review window closes, while awaiting review.</param>
/// <param name="ApprovedBy">Who approved, once approved.</param>
public sealed record PipelineProgress(
    PipelineStage Stage,
    int DocumentsTotal,
    int DocumentsAnalyzed,
    int BatchesCompleted,
    DateTime? ReviewDeadline,
    string? ApprovedBy);

/// <summary>Result of <see cref="DocumentPipelineWorkflow"/>.</summary>
/// <param name="Name">Name of the pipeline run.</param>
/// <param name="DocumentsPublished">Documents written to the index.</param>
/// <param name="Batches">Child batch workflows run.</param>
/// <param name="TotalWords">Words over all documents.</param>
/// <param name="Categories">Documents per detected category.</param>
/// <param name="ApprovedBy">Reviewer, or "auto-approved" when the review window elapsed.</param>
public sealed record DocumentPipelineResult(
    string Name,
    int DocumentsPublished,
    int Batches,
    int TotalWords,
    IReadOnlyDictionary<string, int> Categories,
    string ApprovedBy);

/// <summary>Work sent to the dispatcher with the <c>submit</c> signal.</summary>
/// <param name="RequestId">Caller-chosen id; also names the child workflow, so a repeated id is not run twice.</param>
/// <param name="Pipeline">The pipeline to run.</param>
public sealed record DispatchRequest(string? RequestId, DocumentPipelineInput? Pipeline) : IWorkflowInput
{
    /// <inheritdoc />
    [JsonIgnore]
    public string? DecodeError { get; init; }
}

/// <summary>Input of <see cref="DocumentDispatcherWorkflow"/>; also carries state across continue-as-new.</summary>
/// <param name="MaxHistoryEvents">Continue as new once history reaches this many events (20-50000, default 2000).</param>
/// <param name="Totals">Counters carried over by continue-as-new.</param>
/// <param name="Attachment">The worker the dispatcher heartbeats to, carried over by continue-as-new.</param>
public sealed record DispatcherInput(
    int? MaxHistoryEvents = null,
    DispatcherTotals? Totals = null,
    DispatcherAttachment? Attachment = null) : IWorkflowInput
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
/// <param name="LastRejection">Why the last invalid request was rejected, if any.</param>
public sealed record DispatcherTotals(int Dispatched, int Rejected, int Duplicates, int Generation, string? LastRejection = null);

/// <summary>Returned by the dispatcher's <c>status</c> query.</summary>
/// <param name="Totals">Counters across all runs.</param>
/// <param name="Pending">Requests waiting to be dispatched.</param>
/// <param name="HistoryLength">Events in the current run's history.</param>
/// <param name="Attachment">The worker the dispatcher heartbeats to, if one attached.</param>
/// <param name="HeartbeatsMissed">Heartbeats in a row that did not reach that worker (0 when the last one did).</param>
public sealed record DispatcherStatus(DispatcherTotals Totals, int Pending, int HistoryLength, DispatcherAttachment? Attachment = null, int HeartbeatsMissed = 0);

/// <summary>
/// Sent with the dispatcher's <c>attach</c> update by the worker that runs it: from then on the
/// dispatcher proves it is alive by running the <c>recordDispatcherHeartbeat</c> activity on that
/// worker's own task queue every interval. A later attachment takes over; the worker attached before
/// is told by a <c>releaseDispatcher</c> activity on its queue.
/// </summary>
/// <param name="HeartbeatTaskQueue">A task queue only the attaching worker process polls.</param>
/// <param name="HeartbeatIntervalSeconds">Seconds between heartbeats (1-600).</param>
/// <param name="Number">Set by the dispatcher: 1 for its first attachment, +1 for each after it.</param>
public sealed record DispatcherAttachment(string? HeartbeatTaskQueue, int? HeartbeatIntervalSeconds, int? Number = null) : IWorkflowInput
{
    /// <inheritdoc />
    [JsonIgnore]
    public string? DecodeError { get; init; }
}

/// <summary>Input of the dispatcher heartbeat activities.</summary>
/// <param name="DispatcherId">The dispatcher's workflow id.</param>
/// <param name="Attachment">The number of the attachment the heartbeat or release is for.</param>
public sealed record DispatcherHeartbeat(string DispatcherId, int Attachment = 0);
