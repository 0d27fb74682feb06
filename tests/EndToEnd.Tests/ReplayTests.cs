using Temporalio.Api.Enums.V1;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;
using Watchtower.Workflows.Documents;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// Produces a real history of each workflow on the dev server and replays it. With
/// <c>WATCHTOWER_UPDATE_REPLAY_FIXTURES=1</c> it also writes them to
/// <c>tests/Workflows.Tests/Histories</c>, the fixtures the unit tests replay on every build.
/// </summary>
public sealed class ReplayTests(DevServerFixture server)
{
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Replay_FreshHistoriesOfEveryWorkflow_ReplayWithoutNondeterminism()
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var histories = new List<(string Name, WorkflowHistory History)>();

        var pipelineId = "replay-pipeline-" + Guid.NewGuid();
        var input = Documents.Pipeline(documents: 3, batchSize: 2, reviewWindowSeconds: 600);
        var pipeline = await server.Client.StartWorkflowAsync((DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options(pipelineId));
        await Eventually.UntilAsync(() => pipeline.QueryAsync(wf => wf.Progress), p => p.Stage == PipelineStage.AwaitingReview, "AwaitingReview stage");
        await pipeline.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "replay")));
        await pipeline.GetResultAsync();
        histories.Add(("DocumentPipeline", await pipeline.FetchHistoryAsync()));
        histories.Add(("DocumentBatch", await server.Client.GetWorkflowHandle($"{pipelineId}/batch-1").FetchHistoryAsync()));

        var badInput = new DocumentPipelineInput("bad", [], 0);
        var invalid = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(badInput), worker.Options("replay-invalid-" + Guid.NewGuid()));
        await Assert.ThrowsAsync<WorkflowFailedException>(() => invalid.GetResultAsync());
        histories.Add(("DocumentPipeline-invalid-input", await invalid.FetchHistoryAsync()));

        var dispatcherId = "replay-dispatcher-" + Guid.NewGuid();
        var dispatcher = await server.Client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents: 20)), worker.Options(dispatcherId));
        var firstRun = dispatcher.ResultRunId;
        for (var i = 1; i <= 3; i++)
        {
            await dispatcher.SignalAsync(wf => wf.SubmitAsync(new DispatchRequest($"r{i}", Documents.Pipeline(1))));
        }

        await Eventually.UntilAsync(
            async () => (await server.Client.GetWorkflowHandle(dispatcherId, runId: firstRun).DescribeAsync()).Status,
            status => status == WorkflowExecutionStatus.ContinuedAsNew,
            "the dispatcher to continue as new");
        histories.Add(("DocumentDispatcher", await server.Client.GetWorkflowHandle(dispatcherId, runId: firstRun).FetchHistoryAsync()));
        await dispatcher.CancelAsync();

        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions { DataConverter = PipelineDataConverter.Instance }
            .AddWorkflow<DocumentPipelineWorkflow>()
            .AddWorkflow<DocumentBatchWorkflow>()
            .AddWorkflow<DocumentDispatcherWorkflow>());
        foreach (var (name, history) in histories)
        {
            var replayed = await replayer.ReplayWorkflowAsync(history, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(replayed.ReplayFailure is null, $"{name} failed to replay: {replayed.ReplayFailure}");
        }

        if (Environment.GetEnvironmentVariable("WATCHTOWER_UPDATE_REPLAY_FIXTURES") == "1")
        {
            var target = Path.Combine(RepositoryRoot(), "tests", "Workflows.Tests", "Histories");
            var ids = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, history) in histories)
            {
                await File.WriteAllTextAsync(Path.Combine(target, name + ".json"), history.ToJson(), TestContext.Current.CancellationToken);
                ids[name + ".json"] = history.Id;
            }

            // Replay needs each history's workflow id, which the history JSON itself does not carry.
            await File.WriteAllTextAsync(
                Path.Combine(target, "workflow-ids.json"),
                System.Text.Json.JsonSerializer.Serialize(ids, Indented) + "\n",
                TestContext.Current.CancellationToken);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Watchtower.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (Watchtower.slnx) not found above " + AppContext.BaseDirectory);
    }
}
