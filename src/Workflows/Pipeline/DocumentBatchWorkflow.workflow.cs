using System.Globalization;
using Temporalio.Common;
using Temporalio.Workflows;

namespace Watchtower.Workflows.Pipeline;

/// <summary>Child workflow: analyses one batch of documents in parallel.</summary>
[Workflow("DocumentBatch")]
public sealed class DocumentBatchWorkflow
{
    private static readonly ActivityOptions AnalyzeOptions = new()
    {
        StartToCloseTimeout = TimeSpan.FromSeconds(30),
        RetryPolicy = new RetryPolicy
        {
            InitialInterval = TimeSpan.FromMilliseconds(500),
            BackoffCoefficient = 2,
            MaximumInterval = TimeSpan.FromSeconds(30),
            MaximumAttempts = 5,
        },
    };

    /// <summary>Runs the batch.</summary>
    /// <param name="input">The batch, validated by the parent pipeline.</param>
    /// <returns>Analyses in input order.</returns>
    [WorkflowRun]
    public async Task<DocumentBatchResult> RunAsync(DocumentBatchInput input)
    {
        Workflow.CurrentDetails = string.Create(
            CultureInfo.InvariantCulture,
            $"Analysing **{input.Documents.Count}** documents of batch {input.BatchNumber} "
                + $"of pipeline `{input.PipelineName}`");
        var tasks = new List<Task<DocumentAnalysis>>(input.Documents.Count);
        foreach (var document in input.Documents)
        {
            // The summary names the activity in the run's timeline; the id is the caller's and already in history.
            var options = (ActivityOptions)AnalyzeOptions.Clone();
            options.Summary = "Analyse document " + document.Id;
            tasks.Add(Workflow.ExecuteActivityAsync(() => DocumentActivities.AnalyzeDocument(document), options));
        }

        var analyses = await Workflow.WhenAllAsync(tasks);
        Workflow.CurrentDetails = string.Create(
            CultureInfo.InvariantCulture,
            $"Analysed **{analyses.Length}** documents of batch {input.BatchNumber}");
        return new DocumentBatchResult(input.BatchNumber, analyses);
    }
}
