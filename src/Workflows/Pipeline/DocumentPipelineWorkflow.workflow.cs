using System.Globalization;
using System.Text;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Watchtower.Workflows.Pipeline;

/// <summary>
/// The document pipeline: validates its input, analyses documents in child batch workflows, waits
/// for a reviewer (a durable timer auto-approves), then publishes with a long heartbeating activity.
/// Progress is readable through the <c>progress</c> query, the workflow's current details in the
/// Web UI, and the result.
/// </summary>
[Workflow("DocumentPipeline")]
public sealed class DocumentPipelineWorkflow
{
    /// <summary>Failure type of a run whose input was invalid.</summary>
    public const string InvalidInputErrorType = "InvalidInput";

    /// <summary>Failure type of a run a reviewer rejected.</summary>
    public const string RejectedErrorType = "Rejected";

    // An index outage may last long, so attempts are not capped; a bad argument never heals.
    private static readonly RetryPolicy PublishRetry = new()
    {
        InitialInterval = TimeSpan.FromMilliseconds(500),
        BackoffCoefficient = 2,
        MaximumInterval = TimeSpan.FromSeconds(30),
        NonRetryableErrorTypes = ["ArgumentException", "ArgumentNullException", "ArgumentOutOfRangeException"],
    };

    private readonly List<DocumentInput> documents = [];
    private readonly HashSet<string> documentIds = new(StringComparer.Ordinal);
    private string name = string.Empty;
    private PipelineStage stage = PipelineStage.Validating;
    private long contentLength;
    private long documentsBytes;
    private int analyzed;
    private int batchesCompleted;
    private int batchSize = DocumentPipelineInputValidator.DefaultBatchSize;
    private DateTime? reviewDeadline;
    private ReviewDecision? decision;
    private string? reviewIgnored;
    private string? approvedBy;

    /// <summary>Gets the run's live progress.</summary>
    [WorkflowQuery("progress")]
    public PipelineProgress Progress =>
        new(stage, documents.Count, analyzed, batchesCompleted, reviewDeadline, approvedBy);

    /// <summary>Runs the pipeline.</summary>
    /// <param name="input">The pipeline input.</param>
    /// <returns>What was published.</returns>
    [WorkflowRun]
    public async Task<DocumentPipelineResult> RunAsync(DocumentPipelineInput? input = null)
    {
        if ((input?.DecodeError ?? DocumentPipelineInputValidator.Validate(input)) is { } error)
        {
            Log.PipelineInputRejected(Workflow.Logger, error);
            throw new ApplicationFailureException(
                "Invalid DocumentPipeline input: " + error, InvalidInputErrorType, nonRetryable: true);
        }

        name = input!.Name!;
        batchSize = input.BatchSize ?? DocumentPipelineInputValidator.DefaultBatchSize;
        Accept(input.Documents!);
        SetStage(PipelineStage.Analyzing);

        // Updates may add documents while this loop runs, so the count is re-read every batch.
        var analyses = new List<DocumentAnalysis>(documents.Count);
        while (analyzed < documents.Count)
        {
            var batchNumber = batchesCompleted + 1;
            var batch = documents.GetRange(analyzed, Math.Min(batchSize, documents.Count - analyzed));
            var batchInput = PayloadBudget.Checked(
                new DocumentBatchInput(name, batchNumber, batch),
                string.Create(CultureInfo.InvariantCulture, $"the input of batch {batchNumber}"));
            var result = await Workflow.ExecuteChildWorkflowAsync(
                (DocumentBatchWorkflow wf) => wf.RunAsync(batchInput),
                new ChildWorkflowOptions
                {
                    Id = string.Create(CultureInfo.InvariantCulture, $"{Workflow.Info.WorkflowId}/batch-{batchNumber}"),
                    StaticSummary = string.Create(
                        CultureInfo.InvariantCulture,
                        $"Batch {batchNumber} of {name}: {batch.Count} documents"),
                    StaticDetails = DescribeBatch(batch),
                });
            analyses.AddRange(result.Documents);
            analyzed += batch.Count;
            batchesCompleted++;
            SetStage(PipelineStage.Analyzing);
        }

        await AwaitReviewAsync(input.ReviewWindowSeconds ?? DocumentPipelineInputValidator.DefaultReviewWindowSeconds);

        SetStage(PipelineStage.Publishing);
        var delayMs = input.PublishDelayMs ?? DocumentPipelineInputValidator.DefaultPublishDelayMs;
        var request = PayloadBudget.Checked(new PublishRequest(name, analyses, delayMs), "the publish request");
        var published = await Workflow.ExecuteActivityAsync(
            (DocumentActivities a) => a.PublishAsync(request),
            new ActivityOptions
            {
                // Room for every pause plus slack for the writes; the heartbeat timeout catches a dead worker sooner.
                StartToCloseTimeout =
                    TimeSpan.FromMilliseconds((long)delayMs * analyses.Count) + TimeSpan.FromMinutes(10),
                HeartbeatTimeout = TimeSpan.FromSeconds(5),
                RetryPolicy = PublishRetry,

                // On cancel, wait until the publisher has actually stopped before the run ends.
                CancellationType = ActivityCancellationType.WaitCancellationCompleted,
                Summary = string.Create(CultureInfo.InvariantCulture, $"Publish {analyses.Count} documents"),
            });

        SetStage(PipelineStage.Completed);
        Log.PipelineCompleted(
            Workflow.Logger, published, (Workflow.UtcNow - Workflow.Info.StartTime).TotalMilliseconds);

        // Let an update that is still running finish before the run returns.
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished);
        return PayloadBudget.Checked(
            new DocumentPipelineResult(
                name,
                published,
                batchesCompleted,
                analyses.Sum(a => a.WordCount),
                CountCategories(analyses),
                approvedBy!),
            "the result");
    }

    /// <summary>
    /// A reviewer approves or rejects the run; only the first valid decision counts. Kept for callers that
    /// signal: a malformed decision (no <c>approved</c>, a misspelled field) never decides, it is ignored
    /// with one warning and shown in the current details. The <c>review</c> update says why at once.
    /// </summary>
    /// <param name="review">The decision.</param>
    /// <returns>A completed task.</returns>
    [WorkflowSignal("review")]
    public Task ReviewAsync(ReviewDecision review)
    {
        if (DocumentPipelineInputValidator.ValidateReview(review) is { } error)
        {
            Log.ReviewIgnored(Workflow.Logger, error);
            reviewIgnored = error;
            SetStage(stage);
            return Task.CompletedTask;
        }

        decision ??= review;
        return Task.CompletedTask;
    }

    /// <summary>
    /// A reviewer approves or rejects the run; the validator refuses a malformed or late decision.
    /// </summary>
    /// <param name="review">The decision.</param>
    /// <returns>What was decided, for the caller.</returns>
    [WorkflowUpdate("review")]
    public Task<string> DecideAsync(ReviewDecision review)
    {
        decision ??= review;
        var who = review.Reviewer ?? "anonymous";
        return Task.FromResult(review.Approved == true ? "approved by " + who : "rejected by " + who);
    }

    /// <summary>Refuses a decision that could not decide, before it reaches history.</summary>
    /// <param name="review">The decision.</param>
    [WorkflowUpdateValidator(nameof(DecideAsync))]
    public void ValidateDecide(ReviewDecision review)
    {
        if (DocumentPipelineInputValidator.ValidateReview(review) is { } error)
        {
            throw new ApplicationFailureException(
                "Invalid review: " + error, InvalidInputErrorType, nonRetryable: true);
        }

        if (decision is not null || stage > PipelineStage.AwaitingReview)
        {
            throw new ApplicationFailureException(
                $"The review is over: the pipeline is {stage} and already has a decision.",
                InvalidInputErrorType,
                nonRetryable: true);
        }
    }

    /// <summary>Adds documents while the pipeline is still analysing.</summary>
    /// <param name="added">Documents to add.</param>
    /// <returns>The number of documents in the run afterwards.</returns>
    [WorkflowUpdate("addDocuments")]
    public Task<int> AddDocumentsAsync(IReadOnlyList<DocumentInput> added)
    {
        Accept(added);
        SetStage(stage);
        return Task.FromResult(documents.Count);
    }

    /// <summary>
    /// Rejects additions that are invalid or come too late; a rejected update leaves no trace in history.
    /// </summary>
    /// <param name="added">Documents to add.</param>
    [WorkflowUpdateValidator(nameof(AddDocumentsAsync))]
    public void ValidateAddDocuments(IReadOnlyList<DocumentInput> added)
    {
        if (stage != PipelineStage.Analyzing)
        {
            throw new ApplicationFailureException(
                $"Documents can only be added while the pipeline is analyzing; it is {stage}.",
                InvalidInputErrorType,
                nonRetryable: true);
        }

        if (DocumentPipelineInputValidator.ValidateDocuments(
                added,
                documentIds,
                documents.Count,
                contentLength,
                documentsBytes) is { } error)
        {
            throw new ApplicationFailureException(
                "Invalid addDocuments request: " + error, InvalidInputErrorType, nonRetryable: true);
        }
    }

    private static string DescribeBatch(List<DocumentInput> batch)
    {
        const int Listed = 20;
        var details = new StringBuilder("**Documents**\n\n");
        for (var i = 0; i < batch.Count && i < Listed; i++)
        {
            details.Append(CultureInfo.InvariantCulture, $"- `{batch[i].Id}` {batch[i].Title}\n");
        }

        if (batch.Count > Listed)
        {
            details.Append(CultureInfo.InvariantCulture, $"- and {batch.Count - Listed} more\n");
        }

        return details.ToString();
    }

    private static Dictionary<string, int> CountCategories(List<DocumentAnalysis> analyses)
    {
        var categories = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var analysis in analyses)
        {
            categories[analysis.Category] = categories.GetValueOrDefault(analysis.Category) + 1;
        }

        return new Dictionary<string, int>(categories, StringComparer.Ordinal);
    }

    private async Task AwaitReviewAsync(int windowSeconds)
    {
        var window = TimeSpan.FromSeconds(windowSeconds);
        reviewDeadline = Workflow.UtcNow + window;
        SetStage(PipelineStage.AwaitingReview);

        // A zero window means no review: only a decision that already arrived counts.
        if (window > TimeSpan.Zero)
        {
            await Workflow.WaitConditionWithOptionsAsync(new(
                () => decision is not null,
                window,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Review window: {windowSeconds} s to approve or reject, then approved automatically")));
        }

        reviewDeadline = null;
        if (decision is { Approved: false } rejected)
        {
            SetStage(PipelineStage.Rejected);
            Log.PipelineRejected(Workflow.Logger);
            // Who rejected it and why are the reviewer's words: they go in the failure's details (a
            // payload, shown in the UI and to the caller), not in its message, which monitoring records.
            throw new ApplicationFailureException(
                "Rejected in review",
                RejectedErrorType,
                nonRetryable: true,
                details: [new ReviewDecision(false, rejected.Reviewer, rejected.Comment)]);
        }

        approvedBy = decision is null ? "auto-approved" : decision.Reviewer ?? "anonymous";
    }

    private void Accept(IReadOnlyList<DocumentInput> added)
    {
        documentsBytes += DocumentPipelineInputValidator.DocumentsBytes(added);
        foreach (var document in added)
        {
            documents.Add(document);
            documentIds.Add(document.Id!);
            contentLength += document.Content!.Length;
        }
    }

    private void SetStage(PipelineStage next)
    {
        var changed = next != stage;
        stage = next;
        var batchesLeft = (documents.Count - analyzed + batchSize - 1) / batchSize;
        var details = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"**Stage:** {stage}\n\n")
            .Append(CultureInfo.InvariantCulture, $"**Documents analysed:** {analyzed} of {documents.Count}\n\n")
            .Append(
                CultureInfo.InvariantCulture,
                $"**Batches:** {batchesCompleted} of {batchesCompleted + batchesLeft} done");
        if (stage == PipelineStage.AwaitingReview && reviewDeadline is { } deadline)
        {
            details.Append(
                CultureInfo.InvariantCulture,
                $"\n\n**Review:** send the `review` signal, or it auto-approves at {deadline:u}");
        }
        else if (approvedBy is not null)
        {
            details.Append(CultureInfo.InvariantCulture, $"\n\n**Approved by:** {approvedBy}");
        }

        if (reviewIgnored is not null && decision is null)
        {
            details.Append(CultureInfo.InvariantCulture, $"\n\n**Last review signal ignored:** {reviewIgnored}");
        }

        Workflow.CurrentDetails = details.ToString();
        if (changed)
        {
            Log.PipelineStageChanged(Workflow.Logger, stage, analyzed, documents.Count);
        }
    }
}
