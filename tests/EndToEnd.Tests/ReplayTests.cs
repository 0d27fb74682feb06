using Microsoft.Extensions.DependencyInjection;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Extensions.Hosting;
using Temporalio.Worker;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// Produces a real history of each workflow on the dev server and replays it. With
/// <c>WATCHTOWER_UPDATE_REPLAY_FIXTURES=1</c> it also writes them to
/// <c>tests/Workflows.Tests/Histories</c>, the fixtures the unit tests replay on every build.
/// </summary>
public sealed class ReplayTests(DevServerFixture server)
{
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly Dictionary<string, string?> TraceLink = new()
    {
        ["Monitoring:TraceLinkTemplate"] = "http://127.0.0.1:16686/trace/{traceId}",
    };

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Replay_FreshHistoriesOfEveryWorkflow_ReplayWithoutNondeterminism()
    {
        server.RequireCli();

        // With the trace link kept in the runs' details: a routine of the interceptor's own inside each run, which
        // must leave no command behind.
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, settings: TraceLink);
        var histories = new List<(string Name, WorkflowHistory History)>();

        // A pipeline that takes an update while analysing, a review signal, and heartbeats while publishing.
        var pipelineId = "replay-pipeline-" + Guid.NewGuid();
        // Enough documents that analysis is still going when the update arrives, even on a busy machine.
        var input = Documents.Pipeline(documents: 40, batchSize: 1, reviewWindowSeconds: 600, publishDelayMs: 50);
        var pipeline = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
            worker.Options(pipelineId));
        await Eventually.UntilAsync(
            () => pipeline.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.Analyzing,
            "Analyzing stage");
        await pipeline.ExecuteUpdateAsync(
            wf => wf.AddDocumentsAsync(new[] { new DocumentInput("late", "Late", "Quarterly report summary") }));
        await Eventually.UntilAsync(
            () => pipeline.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "AwaitingReview stage",
            TimeSpan.FromSeconds(90));
        await pipeline.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "replay")));
        await pipeline.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
        histories.Add(("DocumentPipeline", await pipeline.FetchHistoryAsync()));
        histories.Add((
            "DocumentBatch",
            await server.Client.GetWorkflowHandle($"{pipelineId}/batch-1").FetchHistoryAsync()));

        var badInput = new DocumentPipelineInput("bad", [], 0);
        var invalid = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(badInput), worker.Options("replay-invalid-" + Guid.NewGuid()));
        await Assert.ThrowsAsync<WorkflowFailedException>(() => invalid.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        histories.Add(("DocumentPipeline-invalid-input", await invalid.FetchHistoryAsync()));

        // Cancelled while publishing: the run waits for the activity to confirm it stopped.
        var slow = Documents.Pipeline(documents: 5, reviewWindowSeconds: 0, publishDelayMs: 3000);
        var cancelled = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(slow), worker.Options("replay-cancelled-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            () => cancelled.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.Publishing,
            "Publishing stage");
        await cancelled.CancelAsync();
        await Assert.ThrowsAsync<WorkflowFailedException>(
            () => cancelled.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        histories.Add(("DocumentPipeline-cancelled", await cancelled.FetchHistoryAsync()));

        // A dispatcher run with a duplicate and an invalid request that ends in continue-as-new. It exists before
        // its worker, which attaches to it, so its heartbeats are in the history beside the requests.
        var dispatcherQueue = "e2e-" + Guid.NewGuid().ToString("N");
        var dispatcherId = "replay-dispatcher-" + Guid.NewGuid();
        var dispatcher = await server.Client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents: 60)),
            new WorkflowOptions(dispatcherId, dispatcherQueue) { Rpc = WorkerHarness.Rpc });
        var firstRun = dispatcher.ResultRunId;
        await using var dispatcherWorker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: WorkerHarness.DispatcherSettings(dispatcherId, port: null, dispatcherQueue));
        await dispatcherWorker.WaitForLogAsync("DispatcherAttached", "the worker to attach to the dispatcher");

        // Requests at once, while heartbeats start: their commands and the heartbeats' interleave in the history.
        string[] requestIds = ["r1", "r1", "bad id", "r2", "r3", "r4", "r5", "r6"];
        foreach (var requestId in requestIds)
        {
            var request = new DispatchRequest(requestId, Documents.Pipeline(1));
            await dispatcher.SignalAsync(wf => wf.SubmitAsync(request));
        }

        await Eventually.UntilAsync(
            async () => (await server.Client.GetWorkflowHandle(dispatcherId, runId: firstRun).DescribeAsync()).Status,
            status => status == WorkflowExecutionStatus.ContinuedAsNew,
            "the dispatcher to continue as new");
        histories.Add((
            "DocumentDispatcher",
            await server.Client.GetWorkflowHandle(dispatcherId, runId: firstRun).FetchHistoryAsync()));
        await dispatcher.CancelAsync();

        // A dispatcher taken over by a worker that never polls: the one before is released, heartbeats
        // to the new one are missed, and the run continues as new with those in flight.
        var takeover = await server.Client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents: 40)),
            new WorkflowOptions("replay-takeover-" + Guid.NewGuid(), dispatcherQueue) { Rpc = WorkerHarness.Rpc });
        var keeperQueue = dispatcherWorker.Host.Services
            .GetRequiredService<Watchtower.Worker.Dispatcher.DispatcherKeeper>()
            .HeartbeatTaskQueue;
        await takeover.ExecuteUpdateAsync(wf => wf.AttachAsync(new DispatcherAttachment(keeperQueue, 1)));
        await takeover.ExecuteUpdateAsync(
            wf => wf.AttachAsync(new DispatcherAttachment("nobody-polls-" + Guid.NewGuid().ToString("N"), 1)));
        await Eventually.UntilAsync(
            async () => (await server.Client
                .GetWorkflowHandle(takeover.Id, runId: takeover.ResultRunId)
                .DescribeAsync()).Status,
            status => status == WorkflowExecutionStatus.ContinuedAsNew,
            "the taken-over dispatcher to continue as new",
            TimeSpan.FromSeconds(60));
        histories.Add((
            "DocumentDispatcher-takeover",
            await server.Client.GetWorkflowHandle(takeover.Id, runId: takeover.ResultRunId).FetchHistoryAsync()));
        await takeover.CancelAsync();

        foreach (var (name, history) in histories)
        {
            await AssertReplaysWithAndWithoutInterceptorAsync(name, history, o => o
                .AddWorkflow<DocumentPipelineWorkflow>()
                .AddWorkflow<DocumentBatchWorkflow>()
                .AddWorkflow<DocumentDispatcherWorkflow>());
        }

        if (Environment.GetEnvironmentVariable("WATCHTOWER_UPDATE_REPLAY_FIXTURES") == "1")
        {
            // Fixtures written by earlier code (such as DocumentDispatcher-before-heartbeats.json, a run
            // from before the heartbeats) stay, with their ids: today's code must still replay them.
            var target = Path.Combine(TestTools.RepositoryRoot(), "tests", "Workflows.Tests", "Histories");
            var idsFile = Path.Combine(target, "workflow-ids.json");
            var ids = new SortedDictionary<string, string>(
                System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(
                    await File.ReadAllTextAsync(idsFile, TestContext.Current.CancellationToken))!,
                StringComparer.Ordinal);
            foreach (var (name, history) in histories)
            {
                await File.WriteAllTextAsync(
                    Path.Combine(target, name + ".json"),
                    history.ToJson(),
                    TestContext.Current.CancellationToken);
                ids[name + ".json"] = history.Id;
            }

            // Replay needs each history's workflow id, which the history JSON itself does not carry.
            await File.WriteAllTextAsync(
                idsFile,
                System.Text.Json.JsonSerializer.Serialize(ids, Indented) + "\n",
                TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// The monitoring interceptor adds no scheduler step: two routines resumed in one workflow task
    /// (an activity's completion and a timer, delivered together because no workflow worker polled
    /// while they happened) issue their next commands in the same order with and without it, so the
    /// history the monitored worker writes replays without the interceptor and with it.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Replay_RoutinesResumedInOneWorkflowTask_SameCommandsWithAndWithoutInterceptor()
    {
        server.RequireCli();
        var queue = "e2e-race-" + Guid.NewGuid().ToString("N");
        var activityQueue = queue + "-activities";
        var settings = new Dictionary<string, string?>(TraceLink) { ["Temporal:TaskQueue"] = queue };
        void Register(IServiceCollection s)
        {
            SpanRecorder.Attach(s);
            Monitored.Workflows(s).AddWorkflow<Tests.Workflows.StepRaceWorkflow>();
        }

        // The activity worker runs throughout, but the first activity holds until no workflow worker
        // polls any more, so its completion cannot reach the workflow on its own; a slow shutdown of
        // the first worker then only eats into the timer's head start, not the activity's.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var activities = new TemporalWorker(
            server.Client,
            new TemporalWorkerOptions(activityQueue)
                .AddAllActivities(new Tests.Workflows.StepRaceActivities(release.Task)));
        var id = "step-race-" + Guid.NewGuid().ToString("N");
        var (handle, resumed) = await activities.ExecuteAsync(
            async () =>
            {
                // The first workflow task schedules the activity and starts the timer; then no workflow worker polls.
                WorkflowHandle<Tests.Workflows.StepRaceWorkflow, string> handle;
                await using (var first = await WorkerHarness.StartAsync(server.TargetHost, Register, settings))
                {
                    handle = await server.Client.StartWorkflowAsync(
                        (Tests.Workflows.StepRaceWorkflow wf) => wf.RunAsync(activityQueue),
                        new WorkflowOptions(id, queue) { Rpc = WorkerHarness.Rpc });
                    await Eventually.UntilAsync(
                        async () => (await handle.FetchHistoryAsync()).Events.Count(
                            e => e.EventType is EventType.ActivityTaskScheduled or EventType.TimerStarted),
                        n => n == 2,
                        "the first workflow task to schedule the activity and start the timer");
                }

                // The activity completes and the timer fires while nobody runs workflow tasks.
                release.SetResult();
                await Eventually.UntilAsync(
                    async () => (await handle.FetchHistoryAsync()).Events.Count(
                        e => e.EventType is EventType.ActivityTaskCompleted or EventType.TimerFired),
                    n => n == 2,
                    "the activity to complete and the timer to fire with no workflow worker polling",
                    Tests.Workflows.StepRaceWorkflow.TimerDelay + TimeSpan.FromSeconds(30));

                // A monitored worker resumes both routines in one workflow task, and the two follow-up activities run.
                await using var second = await WorkerHarness.StartAsync(server.TargetHost, Register, settings);
                return (handle, await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
            },
            TestContext.Current.CancellationToken);

        var history = await handle.FetchHistoryAsync();
        var events = history.Events.ToList();
        var completed = events.FindIndex(e => e.EventType == EventType.ActivityTaskCompleted);
        var fired = events.FindIndex(e => e.EventType == EventType.TimerFired);
        var together = events.FindIndex(Math.Max(completed, fired), e => e.EventType == EventType.WorkflowTaskStarted);
        Assert.True(
            events.Take(together).Count(e => e.EventType == EventType.WorkflowTaskCompleted) == 1,
            "the activity's completion and the timer reached the workflow in one workflow task");

        // The activity completed first (it was released before the timer could fire), so without any interceptor
        // its routine resumes first; so it must with the interceptor.
        Assert.True(
            completed < fired,
            $"the activity completed before the timer fired (events {completed} and {fired})");
        Assert.Equal("activity,timer", resumed);
        await AssertReplaysWithAndWithoutInterceptorAsync(
            "StepRace",
            history,
            o => o.AddWorkflow<Tests.Workflows.StepRaceWorkflow>());
    }

    /// <summary>
    /// Replays a history the monitored worker recorded twice: without interceptors, as WorkflowReplayer
    /// and the fixture tests do, and through the monitoring interceptor. Both must succeed.
    /// </summary>
    private static async Task AssertReplaysWithAndWithoutInterceptorAsync(
        string name, WorkflowHistory history, Func<WorkflowReplayerOptions, WorkflowReplayerOptions> addWorkflows)
    {
        foreach (var interceptors in new[]
        {
            Array.Empty<Temporalio.Worker.Interceptors.IWorkerInterceptor>(),
            [new Watchtower.Monitoring.TemporalMonitoringInterceptor()],
        })
        {
            var replayer = new WorkflowReplayer(addWorkflows(new WorkflowReplayerOptions
            {
                DataConverter = PipelineDataConverter.Instance,
                Interceptors = interceptors,
            }));
            var replayed = await replayer.ReplayWorkflowAsync(
                history,
                cancellationToken: TestContext.Current.CancellationToken);
            var how = interceptors.Length == 0 ? "without interceptors" : "through the monitoring interceptor";
            Assert.True(replayed.ReplayFailure is null, $"{name} failed to replay {how}: {replayed.ReplayFailure}");
        }
    }
}
