using Microsoft.Extensions.DependencyInjection;
using Temporalio.Api.Enums.V1;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>Drives the worker only through the real <c>temporal</c> CLI, with the JSON a user would type.</summary>
public sealed class CliTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Cli_StartQueryUpdateSignalMetadataResult_PipelineCompletes()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var id = "cli-" + Guid.NewGuid();

        await cli.TextAsync(
            "workflow", "start", "--type", "DocumentPipeline", "--task-queue", worker.TaskQueue, "--workflow-id", id,
            "--static-summary", "CLI pipeline",
            "--input", """{"name":"cli-run","documents":["""
                + """{"id":"inv-1","title":"Invoice 1","content":"Invoice 1. Amount due: 10 EUR"},"""
                + """{"id":"r-1","content":"Receipt: paid"}],"batchSize":1,"reviewWindowSeconds":600}""");

        var progress = await Eventually.UntilAsync(
            () => cli.JsonAsync("workflow", "query", "--workflow-id", id, "--name", "progress"),
            p => p.GetProperty("queryResult")[0].GetProperty("stage").GetString() == "awaitingReview",
            "the CLI query to report stage awaitingReview");
        Assert.Equal(2, progress.GetProperty("queryResult")[0].GetProperty("documentsAnalyzed").GetInt32());

        var metadata = await cli.JsonAsync("workflow", "metadata", "--workflow-id", id);
        Assert.Contains(
            "**Stage:** AwaitingReview",
            metadata.GetProperty("queryResult")[0].GetProperty("currentDetails").GetString(),
            StringComparison.Ordinal);

        var lateUpdate = await cli.RunAsync(
            "workflow", "update", "execute", "--workflow-id", id, "--name", "addDocuments",
            "--input", """[{"id":"late","content":"x"}]""");
        Assert.NotEqual(0, lateUpdate.ExitCode);
        Assert.Contains("only be added while the pipeline is analyzing", lateUpdate.Error, StringComparison.Ordinal);

        await cli.TextAsync(
            "workflow", "signal", "--workflow-id", id, "--name", "review",
            "--input", """{"approved":true,"reviewer":"dana"}""");
        var result = await cli.JsonAsync("workflow", "result", "--workflow-id", id);

        Assert.Equal("COMPLETED", result.GetProperty("status").GetString());
        Assert.Equal("dana", result.GetProperty("result").GetProperty("approvedBy").GetString());
        Assert.Equal(2, result.GetProperty("result").GetProperty("documentsPublished").GetInt32());
        var described = await cli.JsonAsync("workflow", "describe", "--workflow-id", id);
        Assert.Equal(
            "WORKFLOW_EXECUTION_STATUS_COMPLETED",
            described.GetProperty("workflowExecutionInfo").GetProperty("status").GetString());
    }

    [Theory(Timeout = TestTimeouts.EndToEnd)]
    [InlineData("""{"name":"no-docs"}""", "'documents' is required")]
    [InlineData(
        """{"name":"wrong-type","documents":[{"id":"a","content":"x"}],"batchSize":"five"}""",
        "'batchSize' has the wrong type")]
    [InlineData(
        """{"name":"out-of-range","documents":[{"id":"a","content":"x"}],"batchSize":500}""",
        "'batchSize' must be between 1 and 100 (got 500)")]
    [InlineData("""{"name":"no-content","documents":[{"id":"a"}]}""", "'documents[0].content' is required")]
    [InlineData("""[1,2,3]""", "the input has the wrong type")]
    public async Task Cli_InvalidInput_FailsAtOnceWithNonRetryableReadableFailure(string json, string expected)
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var id = "invalid-" + Guid.NewGuid();

        await cli.TextAsync(
            "workflow", "start", "--type", "DocumentPipeline", "--task-queue", worker.TaskQueue, "--workflow-id", id,
            "--input", json);

        var handle = server.Client.GetWorkflowHandle(id);
        var failed = await Assert.ThrowsAsync<WorkflowFailedException>(
            () => handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        var failure = Assert.IsType<ApplicationFailureException>(failed.InnerException);
        Assert.Equal("Invalid DocumentPipeline input: " + expected, failure.Message);
        Assert.Equal(DocumentPipelineWorkflow.InvalidInputErrorType, failure.ErrorType);
        Assert.True(failure.NonRetryable);

        // Failed on the first workflow task: no task failures retried in a loop, no activity ran.
        var history = await handle.FetchHistoryAsync();
        Assert.DoesNotContain(
            history.Events, e => e.EventType is EventType.WorkflowTaskFailed or EventType.ActivityTaskScheduled);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Cli_CancelWhilePublishing_ActivityObservesCancellationAndWorkflowEndsCanceled()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        var index = new RecordingIndex();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost, s => s.AddSingleton<IDocumentIndex>(index));
        var id = "cancel-" + Guid.NewGuid();
        var name = "cancel-" + Guid.NewGuid().ToString("N");
        var documents = string.Join(
            ',', Enumerable.Range(1, 30).Select(i => $$"""{"id":"d{{i}}","content":"text {{i}}"}"""));

        await cli.TextAsync(
            "workflow", "start", "--type", "DocumentPipeline", "--task-queue", worker.TaskQueue, "--workflow-id", id,
            "--input", $$"""{"name":"{{name}}","documents":[{{documents}}],"batchSize":"""
                + $$"""10,"reviewWindowSeconds":0,"publishDelayMs":1000}""");

        // The heartbeat reaches the server and shows in describe as the pending activity's progress.
        await Eventually.UntilAsync(
            () => cli.JsonAsync("workflow", "describe", "--workflow-id", id),
            d => d.TryGetProperty("pendingActivities", out var pending)
                && pending[0].TryGetProperty("heartbeatDetails", out _),
            "the publish activity to heartbeat its progress");

        await cli.TextAsync("workflow", "cancel", "--workflow-id", id);

        var described = await Eventually.UntilAsync(
            () => cli.JsonAsync("workflow", "describe", "--workflow-id", id),
            d => d.GetProperty("workflowExecutionInfo").GetProperty("status").GetString()
                != "WORKFLOW_EXECUTION_STATUS_RUNNING",
            "the workflow to close after cancel");
        Assert.Equal(
            "WORKFLOW_EXECUTION_STATUS_CANCELED",
            described.GetProperty("workflowExecutionInfo").GetProperty("status").GetString());

        await Eventually.UntilAsync(
            async () => (await server.Client.GetWorkflowHandle(id).FetchHistoryAsync()).Events
                .Any(e => e.EventType == EventType.ActivityTaskCanceled),
            seen => seen,
            "the worker to report the publish activity as cancelled");
        Assert.InRange(index.Count(name), 1, 29);
    }
}
