using Temporalio.Api.Enums.V1;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

public sealed class DispatcherTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_RequestsSignalledFromCli_StartsChildrenAndContinuesAsNew()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var id = "dispatcher-" + Guid.NewGuid().ToString("N");
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents: 20)),
            worker.Options(id));
        var firstRunId = handle.ResultRunId;

        for (var i = 1; i <= 5; i++)
        {
            await SubmitAsync(
                cli,
                id,
                $$$"""{"requestId":"req-{{{i}}}","pipeline":{"name":"batch-{{{i}}}","documents":"""
                    + $$$"""[{"id":"d1","content":"Invoice {{{i}}}"}],"reviewWindowSeconds":0}}""");
        }

        await SubmitAsync(
            cli, id, """{"requestId":"req-1","pipeline":{"name":"again","documents":[{"id":"d1","content":"x"}]}}""");
        await SubmitAsync(cli, id, """{"requestId":"bad id!","pipeline":{"name":"x","documents":[]}}""");
        await SubmitAsync(
            cli,
            id,
            """{"requestId":"req-x","pipeline":{"name":"x","documents":"""
                + """[{"id":"a","content":"x"}],"batchSize":"many"}}""");

        var latest = server.Client.GetWorkflowHandle<DocumentDispatcherWorkflow>(id);
        var status = await Eventually.UntilAsync(
            () => latest.QueryAsync(wf => wf.Status),
            s => s.Totals.Dispatched == 5
                && s.Totals.Duplicates == 1
                && s.Totals.Rejected == 2
                && s.Pending == 0
                && s.Totals.Generation >= 2,
            "the dispatcher to dispatch 5 requests, skip 1 duplicate, reject 2 "
                + "and continue as new past its 20-event bound",
            TimeSpan.FromSeconds(60));
        Assert.Contains(
            "'pipeline.batchSize' has the wrong type", status.Totals.LastRejection, StringComparison.Ordinal);

        var firstRun = await server.Client.GetWorkflowHandle(id, runId: firstRunId).FetchHistoryAsync();
        Assert.Equal(EventType.WorkflowExecutionContinuedAsNew, firstRun.Events.Last().EventType);

        for (var i = 1; i <= 5; i++)
        {
            var result = await server.Client.GetWorkflowHandle($"{id}-req-{i}")
                .GetResultAsync<DocumentPipelineResult>(rpcOptions: WorkerHarness.Rpc);
            Assert.Equal($"batch-{i}", result.Name);
        }

        await handle.CancelAsync();
    }

    /// <summary>
    /// Signals like a careful user would: the server refuses signals for the instant a run is
    /// continuing as new ("workflow is closing"), and while it is taking in others on a loaded machine
    /// ("Workflow is busy": refused before anything is written, so sending it again later cannot deliver it twice);
    /// the CLI retries neither by itself.
    /// </summary>
    internal static Task<bool> SubmitAsync(TemporalCli cli, string id, string json) =>
        Eventually.UntilAsync(
            async () =>
            {
                var result = await cli.RunAsync(
                    "workflow", "signal", "--workflow-id", id, "--name", "submit", "--input", json);
                Assert.True(result.ExitCode == 0 || IsTransient(result.Error), result.ToString());
                return result.ExitCode == 0;
            },
            sent => sent,
            "the submit signal to be accepted");

    private static bool IsTransient(string error) =>
        error.Contains("workflow is closing", StringComparison.OrdinalIgnoreCase)
        || error.Contains("workflow is busy", StringComparison.OrdinalIgnoreCase);
}
