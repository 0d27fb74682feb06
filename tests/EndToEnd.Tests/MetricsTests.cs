using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Monitoring.Metrics;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

public sealed class MetricsTests(DevServerFixture server)
{
    /// <summary>
    /// A known mix: two pipelines that complete, one with invalid input, one the reviewer rejects
    /// (after an update the validator turns down), one canceled, and a dispatcher that continues as
    /// new and starts five more. With the cache off every workflow task replays the run from the
    /// start; the counts must not change.
    /// </summary>
    [Theory(Timeout = TestTimeouts.EndToEnd)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Metrics_KnownMixOfOutcomes_EachRunCountedOnceAsStartedAndOnceClosed(bool disableCache)
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, s =>
        {
            // The index is down for the first two publish attempts: two failed executions, two retries.
            s.AddSingleton<IDocumentIndex>(new RecordingIndex(failFirst: 2));
            if (disableCache)
            {
                Monitored.DisableCache(s);
            }
        });
        using var metrics = new MetricsProbe(worker.TaskQueue);
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        var queries = 0;
        var attempts = 0;

        var completed = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            client.ExecuteWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
                worker.Options("ok-" + Guid.NewGuid()))));
        Assert.All(completed, r => Assert.Equal(2, r.DocumentsPublished));

        var invalid = await client.StartWorkflowAsync(
            "DocumentPipeline",
            [new { name = "no-documents" }],
            worker.Options("invalid-" + Guid.NewGuid()));
        await Assert.ThrowsAsync<WorkflowFailedException>(() => invalid.GetResultAsync(rpcOptions: WorkerHarness.Rpc));

        var rejected = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(
                Documents.Pipeline(documents: 2, batchSize: 1, reviewWindowSeconds: 600)),
            worker.Options("rejected-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            async () =>
            {
                attempts++;
                var p = await rejected.QueryAsync(wf => wf.Progress);
                queries++;
                return p;
            },
            p => p.Stage == PipelineStage.AwaitingReview,
            "the AwaitingReview stage");
        await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => rejected.ExecuteUpdateAsync(
            wf => wf.AddDocumentsAsync(new[] { new DocumentInput("late", "Late", "x") })));
        await rejected.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(false, "frank", "wrong totals")));
        await Assert.ThrowsAsync<WorkflowFailedException>(() => rejected.GetResultAsync(rpcOptions: WorkerHarness.Rpc));

        var canceled = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(
                Documents.Pipeline(documents: 2, batchSize: 1, reviewWindowSeconds: 600)),
            worker.Options("canceled-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            async () =>
            {
                attempts++;
                var p = await canceled.QueryAsync(wf => wf.Progress);
                queries++;
                return p;
            },
            p => p.Stage == PipelineStage.AwaitingReview,
            "the AwaitingReview stage");
        await canceled.CancelAsync();
        await Assert.ThrowsAsync<WorkflowFailedException>(() => canceled.GetResultAsync(rpcOptions: WorkerHarness.Rpc));

        var dispatcherId = "dispatcher-" + Guid.NewGuid().ToString("N");
        var dispatcher = await client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents: 20)),
            worker.Options(dispatcherId));
        for (var i = 1; i <= 5; i++)
        {
            await SubmitAsync(
                client,
                dispatcherId,
                new DispatchRequest($"req-{i}", new DocumentPipelineInput(
                    $"batch-{i}",
                    [new DocumentInput("d1", "D1", $"Invoice {i}")],
                    ReviewWindowSeconds: 0)));
        }

        var latest = client.GetWorkflowHandle<DocumentDispatcherWorkflow>(dispatcherId);
        await Eventually.UntilAsync(
            async () => { attempts++; var s = await latest.QueryAsync(wf => wf.Status); queries++; return s; },
            s => s.Totals.Dispatched == 5 && s.Pending == 0 && s.Totals.Generation >= 2,
            "the dispatcher to dispatch 5 requests and continue as new");
        for (var i = 1; i <= 5; i++)
        {
            await client.GetWorkflowHandle($"{dispatcherId}-req-{i}")
                .GetResultAsync<DocumentPipelineResult>(rpcOptions: WorkerHarness.Rpc);
        }

        // The children's completions still reach the open run and may push it over its bound once
        // more; whichever run is current when the cancel lands is the last.
        await latest.CancelAsync();
        await Assert.ThrowsAsync<WorkflowFailedException>(() => latest.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        await Eventually.WaitAsync(
            () => metrics.Closed("DocumentDispatcher", "canceled") == 1,
            "the dispatcher's cancellation to be counted");

        // Pipelines: 2 completed + invalid + rejected + canceled, and 5 from the dispatcher.
        Assert.Equal(10, metrics.Started("DocumentPipeline"));
        Assert.Equal(7, metrics.Closed("DocumentPipeline", "completed"));
        Assert.Equal(2, metrics.Closed("DocumentPipeline", "failed"));
        Assert.Equal(1, metrics.Closed("DocumentPipeline", "canceled"));
        Assert.Equal(10, metrics.ClosedAll("DocumentPipeline"));
        Assert.Equal(10, metrics.DurationCount("DocumentPipeline"));

        // Batches: 2 + 2 for the completed pair, 2 each for the rejected and canceled ones, 1 per dispatched pipeline.
        Assert.Equal(13, metrics.Started("DocumentBatch"));
        Assert.Equal(13, metrics.Closed("DocumentBatch", "completed"));

        // Every dispatcher run: started once, closed once, all but the last by continuing as new.
        var runs = metrics.Started("DocumentDispatcher");
        Assert.True(runs >= 2, $"{runs} dispatcher runs");
        Assert.Equal(runs, metrics.ClosedAll("DocumentDispatcher"));
        Assert.Equal(runs - 1, metrics.Closed("DocumentDispatcher", "continued_as_new"));
        Assert.Equal(1, metrics.Closed("DocumentDispatcher", "canceled"));

        Assert.Equal(0, metrics.InFlight("DocumentPipeline"));
        Assert.Equal(0, metrics.InFlight("DocumentBatch"));
        Assert.Equal(0, metrics.InFlight("DocumentDispatcher"));

        Assert.Equal(13, metrics.Activities("analyzeDocument", "completed"));
        Assert.Equal(7, metrics.Activities("publishDocuments", "completed"));
        Assert.Equal(2, metrics.Activities("publishDocuments", "failed"));
        Assert.Equal(2, metrics.Retries("publishDocuments"));
        Assert.Equal(0, metrics.Retries("analyzeDocument"));
        Assert.True(metrics.Heartbeats("publishDocuments") > 0, "publishDocuments heartbeats between documents");
        Assert.Equal(0, metrics.Activities("analyzeDocument", "failed"));

        Assert.Equal(1, metrics.Signals("DocumentPipeline", "completed"));
        Assert.Equal(5, metrics.Signals("DocumentDispatcher", "completed"));
        Assert.Equal(1, metrics.Updates("DocumentPipeline", "rejected"));
        // Every query the client got an answer to was answered by the worker. The server may hand a
        // query over more than once (a sticky queue that did not answer in time, a query task retried),
        // and each answer is real work for the worker, counted as such: no upper bound holds.
        var answered = metrics.Queries("DocumentPipeline") + metrics.Queries("DocumentDispatcher");
        Assert.True(
            answered >= queries,
            $"{answered} queries answered by the worker for {queries} answered to the client ({attempts} sent)");

        // Labels stay low-cardinality: no ids, no messages.
        Assert.Subset(
            new HashSet<string> { "namespace", "task_queue", "workflow_type", "activity_type", "outcome", "local" },
            metrics.TagKeys());
    }

    /// <summary>
    /// The SDK starts a thread for every workflow activation, and a meter provider keeps buffers for each thread
    /// that records (about 3 KB, made by its first measurement): a run's measurements are made on the thread pool,
    /// whose threads live on, never on the workflow's own thread.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Metrics_RunStartsAndCloses_RecordedOnThreadPoolThreads()
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var onPool = new ConcurrentQueue<bool>();
        Instrument[] runInstruments =
        [
            WorkerMetrics.WorkflowsStarted, WorkerMetrics.WorkflowsInFlight, WorkerMetrics.WorkflowsClosed,
            WorkerMetrics.WorkflowDuration,
        ];
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (runInstruments.Contains(instrument))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Measured(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "task_queue" && (string?)tag.Value == worker.TaskQueue)
                {
                    onPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
                }
            }
        }

        listener.SetMeasurementEventCallback<long>((_, _, tags, _) => Measured(tags));
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) => Measured(tags));
        listener.Start();
        var client = await Monitored.ClientAsync(worker, server.TargetHost);

        // A parent and its two batches: each started, in flight, out of flight, closed and timed.
        await client.ExecuteWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
            worker.Options("pooled-" + Guid.NewGuid()));

        await Eventually.WaitAsync(() => onPool.Count >= 15, "three runs measured from start to close");
        Assert.Equal(15, onPool.Count);
        Assert.All(onPool, Assert.True);
    }

    /// <summary>Signals as a client would, retrying the instant a run is continuing as new.</summary>
    private static Task<bool> SubmitAsync(TemporalClient client, string id, DispatchRequest request) =>
        Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    await client.GetWorkflowHandle<DocumentDispatcherWorkflow>(id)
                        .SignalAsync(wf => wf.SubmitAsync(request));
                    return true;
                }
                catch (RpcException e) when (e.Message.Contains("workflow is closing", StringComparison.Ordinal))
                {
                    return false;
                }
            },
            sent => sent,
            $"signal {request.RequestId} to be accepted");
}
