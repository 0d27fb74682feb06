using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Worker;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Monitoring;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>From a trace to its run: the run's trace id is a search attribute, when the namespace has one.</summary>
public sealed class TraceIdSearchAttributeTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task TraceIdSearchAttribute_Registered_RunFoundByItsTraceAndHistoryReplays()
    {
        server.RequireCli();
        var name = DevServerFixture.TraceIdAttribute.Name;
        SpanRecorder? spans = null;
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            s => spans = SpanRecorder.Attach(s),
            new Dictionary<string, string?> { ["Monitoring:TraceIdSearchAttribute"] = name });
        var id = "trace-id-" + Guid.NewGuid().ToString("N");

        // Started with no trace of its own, as the CLI starts it: the worker's root trace is the run's.
        var handle = await RunPipelineAsync(worker, id);
        var run = await Eventually.UntilAsync(
            () => Task.FromResult(spans!.Snapshot().FirstOrDefault(s =>
                s.DisplayName == "RunWorkflow:DocumentPipeline" && (string?)s.GetTagItem("temporalWorkflowID") == id)),
            s => s is not null,
            "the run's RunWorkflow span");
        var traceId = run!.TraceId.ToHexString();

        var found = await Eventually.UntilAsync(
            async () =>
            {
                var ids = new List<string>();
                await foreach (var execution in server.Client.ListWorkflowsAsync(
                    $"{name} = '{traceId}'", new() { Rpc = WorkerHarness.Rpc }))
                {
                    ids.Add(execution.Id);
                }

                return ids;
            },
            ids => ids.Count == 2,
            $"the run and its batch, in the same trace, to be found by {name} = '{traceId}'");
        Assert.Equal([id, id + "/batch-1"], found.Order(StringComparer.Ordinal));

        // The upsert is in history, so the history replays through an interceptor that names the same attribute,
        // whether it traces or not.
        var history = await handle.FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc });
        foreach (var tracing in new[] { true, false })
        {
            var replayed = await ReplayAsync(history, name, tracing);
            Assert.True(replayed.ReplayFailure is null, $"tracing {tracing}: {replayed.ReplayFailure}");
        }
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task TraceIdSearchAttribute_ChildOfTracedRun_GivenAtItsStartWithoutCommandsAndReplays()
    {
        server.RequireCli();
        var name = DevServerFixture.TraceIdAttribute.Name;
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            configureServices: null,
            new Dictionary<string, string?> { ["Monitoring:TraceIdSearchAttribute"] = name });
        var id = "trace-id-child-" + Guid.NewGuid().ToString("N");
        var handle = await RunPipelineAsync(worker, id);
        var parent = await handle.FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc });
        var child = await server.Client.GetWorkflowHandle(id + "/batch-1")
            .FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc });

        // The parent started without a trace, so it records its own: the patch marker (with the SDK's upsert of
        // the patch into TemporalChangeVersion), then the trace id.
        var upsert = EventType.UpsertWorkflowSearchAttributes;
        EventType[] recorded = [EventType.MarkerRecorded, upsert, upsert];
        Assert.Equal(
            recorded,
            parent.Events.Select(e => e.EventType)
                .Where(t => t == EventType.MarkerRecorded || t == upsert));
        var upserted = parent.Events.Last(e => e.EventType == upsert)
            .UpsertWorkflowSearchAttributesEventAttributes.SearchAttributes;
        var traceId = SearchAttributeCollection.FromProto(upserted).Get(DevServerFixture.TraceIdAttribute);

        // The child, started by it with its trace header, got the same trace id at its start and made no command.
        Assert.DoesNotContain(
            child.Events,
            e => e.EventType is EventType.MarkerRecorded or EventType.UpsertWorkflowSearchAttributes);
        var started = child.Events.First().WorkflowExecutionStartedEventAttributes.SearchAttributes;
        Assert.Equal(traceId, SearchAttributeCollection.FromProto(started).Get(DevServerFixture.TraceIdAttribute));
        foreach (var (history, tracing) in new[] { (parent, true), (parent, false), (child, true), (child, false) })
        {
            var replayed = await ReplayAsync(history, name, tracing);
            Assert.True(replayed.ReplayFailure is null, $"{history.Id}, tracing {tracing}: {replayed.ReplayFailure}");
        }
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task TraceIdSearchAttribute_NotRegistered_SaidOnceAndHistoryUntouched()
    {
        server.RequireCli();

        // The default name, TraceId, which this server does not know.
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var handle = await RunPipelineAsync(worker, "no-trace-id-" + Guid.NewGuid().ToString("N"));

        var said = Assert.Single(worker.Logs.GetSnapshot(), r => r.Id.Name == "TraceIdSearchAttributeMissing");
        Assert.Contains("temporal operator search-attribute create --name TraceId --type Keyword", said.Message);
        var history = await handle.FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc });
        Assert.DoesNotContain(
            history.Events,
            e => e.EventType is Temporalio.Api.Enums.V1.EventType.UpsertWorkflowSearchAttributes
                or Temporalio.Api.Enums.V1.EventType.MarkerRecorded);
    }

    /// <summary>A pipeline of one document run to its end, started with no trace of its own.</summary>
    private async Task<WorkflowHandle<DocumentPipelineWorkflow, DocumentPipelineResult>> RunPipelineAsync(
        WorkerHarness worker, string id)
    {
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 1, batchSize: 1)),
            worker.Options(id));
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
        return handle;
    }

    /// <summary>A pipeline's or a batch's history replayed through the interceptor naming the attribute.</summary>
    private static Task<WorkflowReplayResult> ReplayAsync(WorkflowHistory history, string name, bool tracing) =>
        new WorkflowReplayer(new WorkflowReplayerOptions
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors =
            [
                new TemporalMonitoringInterceptor(new() { TraceIdSearchAttribute = name, Tracing = tracing }),
            ],
        }.AddWorkflow<DocumentPipelineWorkflow>().AddWorkflow<DocumentBatchWorkflow>()).ReplayWorkflowAsync(
            history, cancellationToken: TestContext.Current.CancellationToken);
}
