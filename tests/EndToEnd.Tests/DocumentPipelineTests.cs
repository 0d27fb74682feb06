using Microsoft.Extensions.DependencyInjection;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

public sealed class DocumentPipelineTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_ApprovedByReviewer_CompletesWithProgressDetailsAndChildBatches()
    {
        server.RequireCli();
        var index = new RecordingIndex();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost, s => s.AddSingleton<IDocumentIndex>(index));
        var input = Documents.Pipeline(documents: 5, batchSize: 2, reviewWindowSeconds: 600);

        var options = worker.Options("pipeline-" + Guid.NewGuid());
        options.StaticSummary = "e2e pipeline";
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), options);

        var progress = await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "the pipeline to reach AwaitingReview");
        Assert.Equal(5, progress.DocumentsTotal);
        Assert.Equal(5, progress.DocumentsAnalyzed);
        Assert.Equal(3, progress.BatchesCompleted);
        Assert.NotNull(progress.ReviewDeadline);

        var details = await TestTools.CurrentDetailsAsync(handle);
        Assert.Contains("**Stage:** AwaitingReview", details, StringComparison.Ordinal);
        Assert.Contains("**Documents analysed:** 5 of 5", details, StringComparison.Ordinal);

        await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "alice")));
        var result = await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        Assert.Equal(input.Name, result.Name);
        Assert.Equal(5, result.DocumentsPublished);
        Assert.Equal(3, result.Batches);
        Assert.Equal("alice", result.ApprovedBy);
        Assert.Equal(5, index.Count(input.Name!));
        Assert.Equal(
            [new("contract", 2), new("invoice", 1), new("receipt", 2)],
            result.Categories.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray());
        var history = await handle.FetchHistoryAsync();
        Assert.Equal(3, history.Events.Count(e => e.EventType == EventType.ChildWorkflowExecutionCompleted));
        Assert.Equal("e2e pipeline", await (await handle.DescribeAsync()).GetStaticSummaryAsync());
        Assert.Equal(PipelineStage.Completed, (await handle.QueryAsync(wf => wf.Progress)).Stage);
    }

    /// <summary>
    /// The run's timeline in the Web UI shows each event's summary: every timer, activity and child must say what it
    /// is for, or the review window reads as a bare timer and the analyses as a row of identical activities.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_Timeline_EveryTimerActivityAndChildHasAHumanSummary()
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var input = Documents.Pipeline(documents: 2, batchSize: 1, reviewWindowSeconds: 1);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("timeline-" + Guid.NewGuid()));
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var summaries = new List<string>();
        foreach (var id in new[] { handle.Id, handle.Id + "/batch-1", handle.Id + "/batch-2" })
        {
            var history = await server.Client.GetWorkflowHandle(id)
                .FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc });
            foreach (var e in history.Events.Where(e => e.EventType is EventType.TimerStarted
                or EventType.ActivityTaskScheduled or EventType.StartChildWorkflowExecutionInitiated))
            {
                var summary = e.UserMetadata?.Summary;
                Assert.True(summary is not null, $"{e.EventType} in {id} has no summary");
                summaries.Add((string)server.Client.Options.DataConverter.PayloadConverter.ToValue(
                    summary, typeof(string))!);
            }
        }

        Assert.Equal(
            [
                "Batch 1 of " + input.Name + ": 1 documents", "Batch 2 of " + input.Name + ": 1 documents",
                "Review window: 1 s to approve or reject, then approved automatically", "Publish 2 documents",
                "Analyse document " + input.Documents![0].Id, "Analyse document " + input.Documents[1].Id,
            ],
            summaries);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_AddDocumentsUpdate_AcceptedWhileAnalyzingRejectedAfter()
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var input = Documents.Pipeline(documents: 40, batchSize: 1, reviewWindowSeconds: 600);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("pipeline-" + Guid.NewGuid()));

        // 40 sequential child batches leave seconds of Analyzing to send the update in.
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress), p => p.Stage == PipelineStage.Analyzing, "Analyzing stage");
        var total = await handle.ExecuteUpdateAsync(
            wf => wf.AddDocumentsAsync(new[] { new DocumentInput("late-1", "Late", "Quarterly report summary") }));
        Assert.Equal(41, total);

        var duplicate = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(
            () => handle.ExecuteUpdateAsync(
                wf => wf.AddDocumentsAsync(new[] { new DocumentInput("late-1", "Again", "x") })));
        Assert.Contains(
            "'documents[0].id' is already in the run", duplicate.InnerException!.Message, StringComparison.Ordinal);

        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "AwaitingReview stage",
            TimeSpan.FromSeconds(90));
        var late = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(
            () => handle.ExecuteUpdateAsync(
                wf => wf.AddDocumentsAsync(new[] { new DocumentInput("late-2", "Late", "x") })));
        Assert.Contains(
            "only be added while the pipeline is analyzing", late.InnerException!.Message, StringComparison.Ordinal);

        await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "bob")));
        var result = await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
        Assert.Equal(41, result.DocumentsPublished);
        Assert.Equal(41, result.Batches);

        // Rejected updates leave no trace in history; the accepted one does.
        var history = await handle.FetchHistoryAsync();
        Assert.Single(history.Events, e => e.EventType == EventType.WorkflowExecutionUpdateAccepted);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_TransientIndexOutage_PublishRetriedAndCompletes()
    {
        server.RequireCli();
        var index = new RecordingIndex(failFirst: 2);
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost, s => s.AddSingleton<IDocumentIndex>(index));
        var input = Documents.Pipeline(documents: 3);

        var result = await server.Client.ExecuteWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("pipeline-" + Guid.NewGuid()));

        Assert.Equal(3, result.DocumentsPublished);
        Assert.Equal("auto-approved", result.ApprovedBy);
        Assert.Equal(5, index.Calls);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_ReviewerRejects_FailsNonRetryableWithReason()
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var input = Documents.Pipeline(2, reviewWindowSeconds: 600);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("pipeline-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "AwaitingReview stage");

        await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(false, "carol", "totals do not match")));

        var failed = await Assert.ThrowsAsync<WorkflowFailedException>(
            () => handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        var failure = Assert.IsType<ApplicationFailureException>(failed.InnerException);
        Assert.Equal("Rejected in review", failure.Message);
        Assert.Equal(
            new ReviewDecision(false, "carol", "totals do not match"), failure.Details.ElementAt<ReviewDecision>(0));
        Assert.Equal(DocumentPipelineWorkflow.RejectedErrorType, failure.ErrorType);
        Assert.True(failure.NonRetryable);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Worker_ShutdownWithPublishInFlight_WaitsForActivityBeforeStopping()
    {
        server.RequireCli();
        var index = new GatedIndex();
        var worker = await WorkerHarness.StartAsync(server.TargetHost, s => s.AddSingleton<IDocumentIndex>(index));
        await using var _ = worker;
        var input = Documents.Pipeline(documents: 4);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("pipeline-" + Guid.NewGuid()));
        await index.FirstWrite.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // Stop while the publish activity is blocked on its second document.
        var stopping = worker.StopAsync();
        var lifetime = worker.Host.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        await Eventually.WaitAsync(
            () => lifetime.ApplicationStopping.IsCancellationRequested, "the host to begin stopping");
        Assert.False(stopping.IsCompleted, "stopping must wait for the in-flight activity (graceful timeout 20 s)");
        Assert.Equal(1, index.Writes);

        index.Release();
        await stopping.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(4, index.Writes);
        var history = await handle.FetchHistoryAsync();
        Assert.Contains(history.Events, e => e.EventType == EventType.ActivityTaskCompleted);
        Assert.DoesNotContain(
            history.Events,
            e => e.EventType is EventType.ActivityTaskCanceled or EventType.ActivityTaskTimedOut
                or EventType.ActivityTaskFailed);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_PublishPauseLongerThanHeartbeatTimeout_CompletesInOneAttempt()
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);

        // 7 s between documents, against the publish activity's 5 s heartbeat timeout.
        var input = Documents.Pipeline(documents: 2, publishDelayMs: 7000);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("pipeline-" + Guid.NewGuid()));
        var result = await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        Assert.Equal(2, result.DocumentsPublished);
        var history = await handle.FetchHistoryAsync();
        Assert.DoesNotContain(history.Events, e => e.EventType == EventType.ActivityTaskTimedOut);
        var publish = history.Events.Last(e => e.EventType == EventType.ActivityTaskStarted);
        Assert.Equal(1, publish.ActivityTaskStartedEventAttributes.Attempt);
    }
}
