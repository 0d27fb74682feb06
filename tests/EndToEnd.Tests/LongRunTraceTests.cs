using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Monitoring;
using Watchtower.Workflows;
using Watchtower.Workflows.Dispatcher;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// A workflow that lives for months continues as new again and again, and heartbeats every few seconds: its
/// traces must stay bounded, one a run, so that a trace viewer can still show them. Runs alone: the worker's
/// tracer provider exports every span of the process, and other tests' spans would crowd Jaeger's answer.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class LongRunTraceTests(DevServerFixture server)
{
    private const string RunSpan = "RunWorkflow:DocumentDispatcher";

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_ContinuedAsNewTwice_OneTracePerRunEachLinkedToTheRunBefore()
    {
        server.RequireCli();
        await using var jaeger = await JaegerServer.StartAsync();
        var service = "watchtower-runs-" + Guid.NewGuid().ToString("N")[..8];
        var taskQueue = "e2e-" + Guid.NewGuid().ToString("N");
        var id = "dispatcher-" + Guid.NewGuid().ToString("N");

        // Started by a traced caller before the worker attaches, with a history bound that heartbeats alone reach
        // in a few seconds.
        var (callerTrace, firstRunId) = await StartTracedAsync(jaeger, service, id, taskQueue);
        var settings = WorkerHarness.DispatcherSettings(id, port: null, taskQueue);
        foreach (var (key, value) in jaeger.ExportSettings(service))
        {
            settings[key] = value;
        }
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, settings: settings);
        var handle = server.Client.GetWorkflowHandle<DocumentDispatcherWorkflow>(id);

        // The first runs once the dispatcher has reached a generation, as Jaeger holds them: a run's spans reach it a
        // moment after the run ends, so they are waited for.
        async Task<IReadOnlyList<RunInJaeger>> RunsInJaegerAsync(int generation, int count, string continued)
        {
            await Eventually.UntilAsync(
                () => handle.QueryAsync(wf => wf.Status, new() { Rpc = WorkerHarness.Rpc }),
                s => s.Totals.Generation >= generation,
                $"the dispatcher to continue as new {continued}",
                TimeSpan.FromSeconds(90));
            var runIds = await RunIdsAsync(id, firstRunId, count);
            return await Eventually.UntilAsync(
                () => RunSpansAsync(jaeger, service, runIds),
                found => found.All(r => r.Trace is not null && HasContinueAsNew(r.Trace, r.RunId)),
                $"Jaeger to hold the first {runIds.Count} runs, each with its ContinueAsNew span",
                TimeSpan.FromSeconds(60));
        }

        var runs = await RunsInJaegerAsync(generation: 3, count: 3, "twice on heartbeats alone");

        // The first run stays in its caller's trace, as a child of the caller's StartWorkflow span.
        var first = runs[0];
        Assert.Equal(callerTrace.ToHexString(), first.Span.TraceId);
        Assert.NotNull(first.Span.ParentId);
        Assert.Empty(first.Span.Links);

        // Each later run is a trace of its own, a root linked to the ContinueAsNew span of the run before it.
        for (var i = 1; i < runs.Count; i++)
        {
            var (run, before) = (runs[i], runs[i - 1]);
            Assert.NotEqual(before.Span.TraceId, run.Span.TraceId);
            Assert.Null(run.Span.ParentId);
            var link = Assert.Single(run.Span.Links);
            var target = Assert.Single(before.Trace!.Spans, s => s.SpanId == link.SpanId);
            Assert.Equal((before.Span.TraceId, "ContinueAsNew:DocumentDispatcher"), (link.TraceId, target.Name));
        }

        // Bounded: a run's trace holds only that run's spans, and housekeeping heartbeats are not traced.
        foreach (var run in runs)
        {
            Assert.All(
                run.Trace!.Spans.Where(s => s.Tags.ContainsKey("temporalRunID")),
                s => Assert.Equal(run.RunId, s.Tags["temporalRunID"]));
            Assert.DoesNotContain(
                run.Trace.Spans, s => s.Name.EndsWith("recordDispatcherHeartbeat", StringComparison.Ordinal));
        }

        // No trace grows with time: two runs later, the second run's trace is what it was when it ended.
        var spansOfSecond = runs[1].Trace!.Spans.Count;
        var later = await RunsInJaegerAsync(generation: 5, count: 4, "twice more");
        Assert.Equal(spansOfSecond, later[1].Trace!.Spans.Count);
        Assert.Equal(4, later.Select(r => r.Span.TraceId).Distinct().Count());
        Assert.DoesNotContain(
            (await jaeger.TracesAsync(service)).SelectMany(t => t.Spans),
            s => s.Name.EndsWith("recordDispatcherHeartbeat", StringComparison.Ordinal));
    }

    /// <summary>
    /// Starts the dispatcher from a monitored client under a root span of the test's, which a tracer provider of
    /// the test's own exports to Jaeger.
    /// </summary>
    private async Task<(ActivityTraceId Trace, string RunId)> StartTracedAsync(
        JaegerServer jaeger, string service, string id, string taskQueue)
    {
        using var provider = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService(service))
            .AddSource(SpanRecorder.TestSource.Name)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(jaeger.OtlpGrpcEndpoint);
                o.Protocol = OtlpExportProtocol.Grpc;
            })
            .Build();
        var client = await TemporalClient.ConnectAsync(new(server.TargetHost)
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors = [new TemporalMonitoringInterceptor(new() { Metrics = false })],
        });
        using var root = SpanRecorder.ClientRoot();
        var handle = await client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents: 20)),
            new WorkflowOptions(id, taskQueue) { Rpc = WorkerHarness.Rpc });
        root.Stop();
        provider.ForceFlush(10_000);
        return (root.TraceId, handle.ResultRunId!);
    }

    /// <summary>The first <paramref name="count"/> runs' ids, following continue-as-new through history.</summary>
    private async Task<IReadOnlyList<string>> RunIdsAsync(string id, string firstRunId, int count)
    {
        var ids = new List<string> { firstRunId };
        while (ids.Count < count)
        {
            var history = await server.Client.GetWorkflowHandle(id, runId: ids[^1])
                .FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc });
            var next = history.Events.Last().WorkflowExecutionContinuedAsNewEventAttributes?.NewExecutionRunId
                ?? throw new InvalidOperationException($"run {ids[^1]} did not continue as new");
            ids.Add(next);
        }

        return ids;
    }

    private static async Task<IReadOnlyList<RunInJaeger>> RunSpansAsync(
        JaegerServer jaeger, string service, IReadOnlyList<string> runIds)
    {
        var traces = await jaeger.TracesAsync(service);
        return [.. runIds.Select(runId =>
        {
            var trace = traces.FirstOrDefault(t => t.Spans.Any(s => IsRunSpan(s, runId)));
            return new RunInJaeger(runId, trace?.Spans.First(s => IsRunSpan(s, runId)) ?? Missing, trace);
        })];
    }

    private static bool IsRunSpan(JaegerSpan span, string runId) =>
        span.Name == RunSpan && span.Tags.TryGetValue("temporalRunID", out var id) && id == runId;

    private static bool HasContinueAsNew(JaegerTrace trace, string runId) =>
        trace.Spans.Any(s => s.Name == "ContinueAsNew:DocumentDispatcher"
            && s.Tags.TryGetValue("temporalRunID", out var id) && id == runId);

    private static readonly JaegerSpan Missing = new("missing", "", null, "");

    private sealed record RunInJaeger(string RunId, JaegerSpan Span, JaegerTrace? Trace);
}
