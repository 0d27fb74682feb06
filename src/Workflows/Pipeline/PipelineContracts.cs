using System.Text.Json.Serialization;

namespace Watchtower.Workflows.Pipeline;

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
/// <param name="ReviewWindowSeconds">How long to wait for a reviewer before auto-approving (0-604800, default
/// 10).</param>
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

/// <summary>A reviewer's decision, sent with the <c>review</c> update (or, for compatibility, signal).</summary>
/// <param name="Approved">True to publish, false to stop the pipeline; required.</param>
/// <param name="Reviewer">Who decided (at most 200 characters).</param>
/// <param name="Comment">Optional reason (at most 2000 characters).</param>
public sealed record ReviewDecision(bool? Approved, string? Reviewer, string? Comment = null) : IWorkflowInput
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
