using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// Requests the dispatcher accepted are never lost: a burst several times larger than one run holds is
/// carried over continue-as-new and dispatched exactly once each, with every run's history kept near its
/// bound; a cancel reports every request it leaves undispatched.
/// </summary>
public sealed class DispatcherBacklogTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_BurstOfLargeRequestsSeveralRunsLong_EachDispatchedOnceAcrossContinueAsNew()
    {
        const int MaxHistoryEvents = 60;
        const int Requests = 200;
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var id = "burst-" + Guid.NewGuid().ToString("N");
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents)), worker.Options(id));

        // Large documents (3.2 MB in all), sent as fast as a client can: far more than a run of 60 events
        // dispatches, and more than one continue-as-new input can carry (1.25 MiB). SDK clients retry the
        // "workflow is closing" answer the server gives for the instant a run continues as new.
        var content = new string('x', 16 * 1024);
        var client = server.Client;
        var latest = client.GetWorkflowHandle<DocumentDispatcherWorkflow>(id);
        await Task.WhenAll(Enumerable.Range(0, Requests).Select(i =>
        {
            var request = new DispatchRequest(
                $"req-{i}",
                new DocumentPipelineInput(
                    $"burst-{i}",
                    [new DocumentInput("d1", "Big", content)],
                    ReviewWindowSeconds: 0,
                    PublishDelayMs: 0));
            return latest.SignalAsync(wf => wf.SubmitAsync(request), new() { Rpc = WorkerHarness.Rpc });
        }));

        var status = await Eventually.UntilAsync(
            () => latest.QueryAsync(wf => wf.Status),
            s => s.Totals.Dispatched + s.Totals.Duplicates >= Requests && s.Pending == 0,
            $"the dispatcher to dispatch all {Requests} requests",
            TimeSpan.FromSeconds(180));
        Assert.Equal(Requests, status.Totals.Dispatched);
        Assert.Equal(0, status.Totals.Duplicates);
        Assert.True(
            status.Totals.Generation >= 3, $"a burst this size takes several runs (took {status.Totals.Generation})");

        // Every child exactly once, by request id (the list catches up with the starts).
        var expected = Enumerable.Range(0, Requests)
            .Select(i => $"{id}-req-{i}")
            .Order(StringComparer.Ordinal)
            .ToList();
        var children = await Eventually.UntilAsync(
            () => ChildIdsAsync(client, id),
            ids => ids.Count >= Requests,
            "the server's list to show every child");
        Assert.Equal(expected, children.Order(StringComparer.Ordinal));

        // Runs past their bound carried what they had not dispatched over, within the backlog's bounds,
        // instead of dispatching it all first.
        var carried = new List<(int Count, long Bytes)>();
        await foreach (var execution in client.ListWorkflowsAsync($"WorkflowId = '{id}'"))
        {
            var history = await client.GetWorkflowHandle(id, execution.RunId).FetchHistoryAsync();
            if (history.Events.Last().WorkflowExecutionContinuedAsNewEventAttributes is { } next)
            {
                var input = (DispatcherInput)PipelineDataConverter.Instance.PayloadConverter.ToValue(
                    next.Input.Payloads_[0], typeof(DispatcherInput))!;
                carried.Add((input.Backlog?.Count ?? 0, PipelineDataConverter.EncodedBytes(input.Backlog)));
            }
        }

        Assert.True(carried.Count >= 2, "the dispatcher continued as new more than once");
        Assert.Contains(carried, c => c.Count > 0);
        Assert.All(carried, c => Assert.True(
            c.Count <= DocumentDispatcherWorkflow.MaxBacklogCount
                && c.Bytes <= DocumentDispatcherWorkflow.MaxBacklogBytes,
            $"a backlog of {c.Count} requests and {c.Bytes} bytes is over the bounds"));
        await handle.CancelAsync();
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_CanceledWithRequestsPending_ReportsEachByRequestId()
    {
        var id = "cancel-pending-" + Guid.NewGuid().ToString("N");
        var taskQueue = "e2e-" + Guid.NewGuid().ToString("N");
        var client = server.Client;

        // Nothing polls yet: the requests and the cancel all wait on the server, and reach the dispatcher together.
        var handle = await client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput()),
            new WorkflowOptions(id, taskQueue) { Rpc = WorkerHarness.Rpc });
        for (var i = 0; i < 3; i++)
        {
            await handle.SignalAsync(
                wf => wf.SubmitAsync(new DispatchRequest($"left-{i}", Documents.Pipeline(documents: 1))));
        }

        await handle.CancelAsync();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost, settings: new Dictionary<string, string?> { ["Temporal:TaskQueue"] = taskQueue });

        var canceled = await Assert.ThrowsAsync<WorkflowFailedException>(
            () => handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        Assert.IsType<CanceledFailureException>(canceled.InnerException);
        await worker.WaitForLogAsync("DispatcherCanceled", "the dispatcher to say what its cancel left undispatched");
        var reported = worker.Logs.GetSnapshot().Where(r => r.Id.Name == "DispatchPendingAtCancel").ToList();
        Assert.All(reported, r => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, r.Level));
        var undispatched = reported.Select(r => r.StructuredState!.Single(p => p.Key == "RequestId").Value).ToList();
        var dispatched = (await ChildIdsAsync(client, id)).Select(c => c[(id.Length + 1)..]);

        // Whatever the race between the cancel and the first dispatch, each request is either a child or reported.
        Assert.Equal(
            ["left-0", "left-1", "left-2"],
            undispatched.Concat(dispatched).Order(StringComparer.Ordinal));
    }

    private static async Task<List<string>> ChildIdsAsync(ITemporalClient client, string dispatcherId)
    {
        var ids = new List<string>();
        await foreach (var execution in client.ListWorkflowsAsync(
                           $"WorkflowType = 'DocumentPipeline' AND WorkflowId STARTS_WITH '{dispatcherId}-'"))
        {
            ids.Add(execution.Id);
        }

        return ids;
    }
}
