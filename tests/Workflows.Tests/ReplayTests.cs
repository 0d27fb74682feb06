using Temporalio.Common;
using Temporalio.Worker;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.Workflows.Tests;

/// <summary>
/// Histories recorded on a real dev server (regenerate with
/// <c>WATCHTOWER_UPDATE_REPLAY_FIXTURES=1 dotnet test tests/EndToEnd.Tests --filter Replay</c>)
/// must replay against today's workflow code: a failure here means a change broke determinism.
/// </summary>
public sealed class ReplayTests
{
    public static TheoryData<string> Histories()
    {
        var data = new TheoryData<string>();
        foreach (var file in WorkflowIds().Keys)
        {
            data.Add(file);
        }

        return data;
    }

    private static Dictionary<string, string> WorkflowIds() =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Histories", "workflow-ids.json")))!;

    [Fact]
    public void Histories_Fixtures_CoverEveryWorkflow()
    {
        var names = WorkflowIds().Keys;

        Assert.Contains("DocumentPipeline.json", names);
        Assert.Contains("DocumentBatch.json", names);
        Assert.Contains("DocumentDispatcher.json", names);
        Assert.Contains("DocumentDispatcher-before-heartbeats.json", names);
        Assert.Contains("DocumentDispatcher-takeover.json", names);
        Assert.Contains("DocumentPipeline-invalid-input.json", names);
        Assert.Contains("DocumentPipeline-cancelled.json", names);
    }

    [Theory]
    [MemberData(nameof(Histories))]
    public async Task WorkflowReplayer_RecordedHistory_ReplaysWithoutNondeterminism(string file)
    {
        var json = await File.ReadAllTextAsync(
            Path.Combine(AppContext.BaseDirectory, "Histories", file), TestContext.Current.CancellationToken);
        var history = WorkflowHistory.FromJson(WorkflowIds()[file], json);
        var replayer = new WorkflowReplayer(
            new WorkflowReplayerOptions { DataConverter = PipelineDataConverter.Instance }
                .AddWorkflow<DocumentPipelineWorkflow>()
                .AddWorkflow<DocumentBatchWorkflow>()
                .AddWorkflow<DocumentDispatcherWorkflow>());

        var result = await replayer.ReplayWorkflowAsync(
            history, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(result.ReplayFailure);
    }
}
