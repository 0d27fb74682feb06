using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Extensions.Hosting;
using Temporalio.Worker;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.EndToEnd.Tests.Workflows;
using Watchtower.Monitoring;
using Watchtower.Worker.ResilientWorker;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

public sealed partial class TracingTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_PipelineRun_OneTreeWithRealDurationsAndHeadersInTheOtherSdksShape()
    {
        server.RequireCli();
        SpanRecorder? spans = null;
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, s => spans = SpanRecorder.Attach(s));
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();
        var input = Documents.Pipeline(documents: 30, batchSize: 1, reviewWindowSeconds: 600);

        var handle = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
            worker.Options("traced-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.Analyzing,
            "the Analyzing stage");
        await handle.ExecuteUpdateAsync(
            wf => wf.AddDocumentsAsync(new[] { new DocumentInput("late-1", "Late", "Quarterly report summary") }));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "the AwaitingReview stage",
            TimeSpan.FromSeconds(90));
        await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.AddDocumentsAsync(new[] { new DocumentInput("late-2", "Late", "x") })));
        await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "alice")));
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var traceId = root.TraceId;
        var trace = await spans!.WaitForAsync(
            traceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:DocumentPipeline"),
            "RunWorkflow:DocumentPipeline to be exported");
        var byId = trace.ToDictionary(s => s.SpanId);
        Assert.Equal(trace.Count, byId.Count);

        var start = Monitored.Single(trace, "StartWorkflow:DocumentPipeline");
        var run = Monitored.Single(trace, "RunWorkflow:DocumentPipeline");
        Assert.Equal(ActivityKind.Client, start.Kind);
        Assert.Equal(ActivityKind.Server, run.Kind);
        Assert.Equal(start.SpanId, run.ParentSpanId);
        Assert.True(
            run.Duration > TimeSpan.FromMilliseconds(500),
            $"RunWorkflow lasted {run.Duration}; it spans the whole run, review wait included");
        Assert.True(run.StartTimeUtc >= start.StartTimeUtc.AddSeconds(-1), "RunWorkflow starts with the run");
        Assert.Equal(handle.Id, run.GetTagItem("temporalWorkflowID"));
        Assert.Equal(handle.ResultRunId, run.GetTagItem("temporalRunID"));

        // 31 batches: the 30 documents plus the one the update added.
        var startChildren = trace.Where(s => s.DisplayName == "StartChildWorkflow:DocumentBatch").ToList();
        Assert.Equal(31, startChildren.Count);
        Assert.All(startChildren, s => Assert.Equal(run.SpanId, s.ParentSpanId));
        var childRuns = trace.Where(s => s.DisplayName == "RunWorkflow:DocumentBatch").ToList();
        Assert.Equal(31, childRuns.Count);
        Assert.All(childRuns, s => Assert.Equal("StartChildWorkflow:DocumentBatch", byId[s.ParentSpanId].DisplayName));
        var startAnalyze = trace.Where(s => s.DisplayName == "StartActivity:analyzeDocument").ToList();
        Assert.Equal(31, startAnalyze.Count);
        Assert.All(startAnalyze, s => Assert.Equal("RunWorkflow:DocumentBatch", byId[s.ParentSpanId].DisplayName));
        Assert.All(startAnalyze, s => Assert.NotNull(s.GetTagItem("temporalWorkflowID")));
        var runAnalyze = trace.Where(s => s.DisplayName == "RunActivity:analyzeDocument").ToList();
        Assert.Equal(31, runAnalyze.Count);
        Assert.All(runAnalyze, s => Assert.Equal("StartActivity:analyzeDocument", byId[s.ParentSpanId].DisplayName));
        Assert.All(runAnalyze, s => Assert.NotNull(s.GetTagItem("temporalActivityID")));

        var publish = Monitored.Single(trace, "StartActivity:publishDocuments");
        Assert.Equal(run.SpanId, publish.ParentSpanId);
        Assert.Equal(publish.SpanId, Monitored.Single(trace, "RunActivity:publishDocuments").ParentSpanId);

        var signal = Monitored.Single(trace, "SignalWorkflow:review");
        Assert.Equal(signal.SpanId, Monitored.Single(trace, "HandleSignal:review").ParentSpanId);

        var queries = trace.Where(s => s.DisplayName == "QueryWorkflow:progress").Select(s => s.SpanId).ToHashSet();
        var handled = trace.Where(s => s.DisplayName == "HandleQuery:progress").ToList();
        // Not one handler span per client span: the server may hand a query to a worker twice, and a
        // query that timed out while polling has a client span but no answer.
        Assert.NotEmpty(handled);
        Assert.All(handled, s => Assert.Contains(s.ParentSpanId, queries));

        var updates = trace
            .Where(s => s.DisplayName == "UpdateWorkflow:addDocuments")
            .OrderBy(s => s.StartTimeUtc)
            .ToList();
        Assert.Equal(2, updates.Count);
        var accepted = Monitored.Single(trace, "HandleUpdate:addDocuments");
        Assert.Equal(updates[0].SpanId, accepted.ParentSpanId);
        Assert.Equal(updates[0].GetTagItem("temporalUpdateID"), accepted.GetTagItem("temporalUpdateID"));
        // A speculative workflow task lost under load runs the validator again under the same update.
        var validations = trace
            .Where(s => s.DisplayName == "ValidateUpdate:addDocuments")
            .OrderBy(s => s.StartTimeUtc)
            .ToList();
        Assert.Equal([updates[0].SpanId, updates[1].SpanId], validations.Select(s => s.ParentSpanId).Distinct());
        Assert.All(
            validations,
            v => Assert.Equal(
                v.ParentSpanId == updates[0].SpanId ? ActivityStatusCode.Unset : ActivityStatusCode.Error,
                v.Status));
        Assert.Equal(ActivityStatusCode.Error, updates[1].Status);

        // One tree: every span has its parent in the trace, or is a client call under the test's root.
        Assert.All(
            trace,
            s => Assert.True(
                byId.ContainsKey(s.ParentSpanId) || s.ParentSpanId == root.SpanId,
                $"{s.DisplayName} has no parent in the trace"));
        Assert.All(trace.Where(s => s.ParentSpanId == root.SpanId), s => Assert.Equal(ActivityKind.Client, s.Kind));

        // What we wrote into history has the other SDKs' shape, event for event.
        var history = await handle.FetchHistoryAsync();
        var headers = history.Events.Select(e => (e.EventType, Header: e.EventType switch
        {
            EventType.WorkflowExecutionStarted => e.WorkflowExecutionStartedEventAttributes.Header,
            EventType.ActivityTaskScheduled => e.ActivityTaskScheduledEventAttributes.Header,
            EventType.StartChildWorkflowExecutionInitiated =>
                e.StartChildWorkflowExecutionInitiatedEventAttributes.Header,
            EventType.WorkflowExecutionSignaled => e.WorkflowExecutionSignaledEventAttributes.Header,
            EventType.WorkflowExecutionUpdateAccepted =>
                e.WorkflowExecutionUpdateAcceptedEventAttributes.AcceptedRequest.Input.Header,
            _ => null,
        })).Where(h => h.Header is not null).ToList();
        Assert.Equal(
            new[]
            {
                EventType.ActivityTaskScheduled,
                EventType.StartChildWorkflowExecutionInitiated,
                EventType.WorkflowExecutionSignaled,
                EventType.WorkflowExecutionStarted,
                EventType.WorkflowExecutionUpdateAccepted,
            }.Order(),
            headers.Select(h => h.EventType).Distinct().Order());
        foreach (var (eventType, header) in headers)
        {
            var payload = header!.Fields["_tracer-data"];
            Assert.Equal(["encoding"], payload.Metadata.Keys);
            Assert.Equal("json/plain", payload.Metadata["encoding"].ToStringUtf8());
            var json = payload.Data.ToStringUtf8();
            Assert.Matches(TraceParentOnly(), json);
            Assert.Contains(traceId.ToHexString(), json, StringComparison.Ordinal);
            if (eventType == EventType.ActivityTaskScheduled)
            {
                var spanId = json[(json.LastIndexOf('-') - 16)..json.LastIndexOf('-')];
                Assert.Equal(
                    "StartActivity:publishDocuments",
                    byId[ActivitySpanId.CreateFromString(spanId)].DisplayName);
            }
        }
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_CacheDisabledSoEveryTaskReplays_EmitsTheSameSpansOnce()
    {
        server.RequireCli();
        var cached = await RunSmallPipelineAsync(disableCache: false);
        var uncached = await RunSmallPipelineAsync(disableCache: true);

        Assert.True(
            Names(cached.Trace).SequenceEqual(Names(uncached.Trace)),
            $"cached:{Environment.NewLine}{string.Join(Environment.NewLine, Names(cached.Trace))}{Environment.NewLine}"
            + $"uncached:{Environment.NewLine}{string.Join(Environment.NewLine, Names(uncached.Trace))}");
        foreach (var (trace, rootId, description) in new[]
        {
            (cached.Trace, cached.Root, "cached"),
            (uncached.Trace, uncached.Root, "uncached"),
        })
        {
            var byId = trace.ToDictionary(s => s.SpanId);
            Assert.Equal(trace.Count, byId.Count);
            Assert.All(
                trace,
                s => Assert.True(
                    byId.ContainsKey(s.ParentSpanId) || s.ParentSpanId == rootId,
                    $"{description}: {s.DisplayName} has no parent"));
            Assert.True(
                Monitored.Single(trace, "RunWorkflow:DocumentPipeline").Duration > TimeSpan.FromMilliseconds(300),
                $"{description}: RunWorkflow has its real duration");
        }
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_SecondWorkerTakesOverAndReplayer_RunWorkflowOnceWithEarlierChildrenUnderIt()
    {
        server.RequireCli();
        SpanRecorder? first = null;
        var worker = await WorkerHarness.StartAsync(server.TargetHost, s => first = SpanRecorder.Attach(s));
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();
        var input = Documents.Pipeline(documents: 3, batchSize: 1, reviewWindowSeconds: 600);
        var handle = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
            worker.Options("takeover-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "the AwaitingReview stage");
        await worker.DisposeAsync();
        var traceId = root.TraceId;
        var beforeTakeover = first!.InTrace(traceId);
        Assert.DoesNotContain(beforeTakeover, s => s.DisplayName == "RunWorkflow:DocumentPipeline");

        SpanRecorder? second = null;
        await using (var takeover = await WorkerHarness.StartAsync(
            server.TargetHost,
            s => second = SpanRecorder.Attach(s),
            new Dictionary<string, string?> { ["Temporal:TaskQueue"] = worker.TaskQueue }))
        {
            await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "dave")));
            await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
            await second!.WaitForAsync(
                traceId,
                t => t.Any(s => s.DisplayName == "RunWorkflow:DocumentPipeline"),
                "the second worker to emit RunWorkflow");
        }

        var trace = beforeTakeover.Concat(second.InTrace(traceId)).ToList();
        var run = Monitored.Single(trace, "RunWorkflow:DocumentPipeline");
        Assert.Equal(trace.Count, trace.Select(s => s.SpanId).Distinct().Count());
        Assert.True(
            run.StartTimeUtc < beforeTakeover.Max(s => s.StartTimeUtc + s.Duration),
            "RunWorkflow starts when the run started, on the first worker");
        var children = beforeTakeover.Where(s => s.DisplayName == "StartChildWorkflow:DocumentBatch").ToList();
        Assert.Equal(3, children.Count);
        Assert.All(children, s => Assert.Equal(run.SpanId, s.ParentSpanId));
        Assert.Equal(run.SpanId, Monitored.Single(trace, "StartActivity:publishDocuments").ParentSpanId);
        Assert.Single(trace, s => s.DisplayName == "HandleSignal:review");

        // Replaying the finished run through the same interceptor emits nothing at all.
        SpanRecorder? replaying = null;
        await using var replayHost = await WorkerHarness.StartAsync(
            server.TargetHost,
            s => replaying = SpanRecorder.Attach(s),
            waitForPolling: false);
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors = [replayHost.Host.Services.GetRequiredService<TemporalMonitoringInterceptor>()],
        }.AddWorkflow<DocumentPipelineWorkflow>());
        var result = await replayer.ReplayWorkflowAsync(
            await handle.FetchHistoryAsync(),
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Null(result.ReplayFailure);
        Assert.Empty(replaying!.InTrace(traceId));
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_InterceptorOnSharedClientAndWorker_RecordsEachSpanOnce()
    {
        server.RequireCli();
        SpanRecorder? spans = null;
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, s =>
        {
            spans = SpanRecorder.Attach(s);

            // The worker's client already carries the interceptor; this puts it on the worker a second time.
            s.AddOptions<TemporalWorkerServiceOptions>(ResilientWorkerService.OptionsName)
                .Configure<TemporalMonitoringInterceptor>((o, interceptor) => o.Interceptors = [interceptor]);
        });
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();
        var input = Documents.Pipeline(documents: 2, batchSize: 1);

        var handle = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
            worker.Options("shared-" + Guid.NewGuid()));
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var traceId = root.TraceId;
        var trace = await spans!.WaitForAsync(
            traceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:DocumentPipeline"),
            "RunWorkflow");
        Assert.Equal(
            [("RunActivity:analyzeDocument", 2), ("RunActivity:publishDocuments", 1),
             ("RunWorkflow:DocumentBatch", 2), ("RunWorkflow:DocumentPipeline", 1),
             ("StartActivity:analyzeDocument", 2), ("StartActivity:publishDocuments", 1),
             ("StartChildWorkflow:DocumentBatch", 2), ("StartWorkflow:DocumentPipeline", 1)],
            Names(trace));
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_WorkflowCodeAndLogs_SeeTheirSpansIds()
    {
        server.RequireCli();
        var logs = new TraceIdLogProvider();
        var (probed, spans) = await StartProbedAsync(
            s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        await using var worker = probed;
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();

        var handle = await client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(),
            worker.Options("probe-" + Guid.NewGuid()));
        await handle.ExecuteUpdateAsync(wf => wf.RenameAsync("grace"));
        await handle.SignalAsync(wf => wf.FinishAsync());
        var runIds = await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var traceId = root.TraceId;
        var trace = await spans.WaitForAsync(
            traceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:TraceProbe"),
            "RunWorkflow:TraceProbe");
        var run = Monitored.Single(trace, "RunWorkflow:TraceProbe");
        var signal = Monitored.Single(trace, "HandleSignal:finish");
        var update = Monitored.Single(trace, "HandleUpdate:rename");
        Assert.Equal($"{traceId}/{run.SpanId}", runIds);
        Assert.Equal($"{traceId}/{signal.SpanId}", await handle.QueryAsync(wf => wf.SignalIds));
        Assert.Equal($"{traceId}/{update.SpanId}", await handle.QueryAsync(wf => wf.UpdateIds));

        var lines = logs.Entries.Where(e => e.Category == "Temporalio.Workflow:TraceProbe").ToList();
        Assert.Equal(
            (traceId.ToHexString(), run.SpanId.ToHexString()),
            lines.Where(l => l.Message == "probe run started").Select(l => (l.TraceId, l.SpanId)).Single());
        Assert.Equal(
            (traceId.ToHexString(), run.SpanId.ToHexString()),
            lines.Where(l => l.Message == "probe run finishing").Select(l => (l.TraceId, l.SpanId)).Single());
        Assert.Equal(
            (traceId.ToHexString(), signal.SpanId.ToHexString()),
            lines.Where(l => l.Message == "probe signal handled").Select(l => (l.TraceId, l.SpanId)).Single());
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task JsonLogs_LinesFromActivityAndWorkflow_CarryTheirSpanIdsAndTemporalIdsOnce()
    {
        server.RequireCli();
        using var logs = new JsonLogCapture();
        var (probed, spans) = await StartProbedAsync(s =>
        {
            s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
            Monitored.DisableCache(s);
        });
        await using var worker = probed;
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();

        // Without the cache every task replays the run from the start: lines must still appear once.
        var handle = await client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(),
            worker.Options("json-logs-" + Guid.NewGuid()));
        await handle.SignalAsync(wf => wf.PingAsync());
        await spans.WaitForAsync(
            root.TraceId,
            t => t.Any(s => s.DisplayName == "HandleSignal:ping"),
            "the ping handler to run its activity");
        await handle.SignalAsync(wf => wf.FinishAsync());
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var trace = await spans.WaitForAsync(
            root.TraceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:TraceProbe"),
            "the run span");

        var activity = Monitored.Single(trace, "RunActivity:probeEcho");
        var run = Monitored.Single(trace, "RunWorkflow:TraceProbe");
        var lines = logs.Lines()
            .Where(l => l.TryGetProperty("workflow_id", out var id) && id.GetString() == handle.Id)
            .ToList();

        var echo = Assert.Single(lines, l => l.GetProperty("message").GetString() == "probe echo ping");
        Assert.Equal(activity.TraceId.ToHexString(), echo.GetProperty("trace_id").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), echo.GetProperty("span_id").GetString());
        Assert.Equal("probeEcho", echo.GetProperty("activity_type").GetString());
        Assert.Equal(handle.ResultRunId, echo.GetProperty("run_id").GetString());
        Assert.Equal("TraceProbe", echo.GetProperty("workflow_type").GetString());
        Assert.Equal(worker.TaskQueue, echo.GetProperty("task_queue").GetString());

        var started = Assert.Single(lines, l => l.GetProperty("message").GetString() == "probe run started");
        Assert.Equal(run.SpanId.ToHexString(), started.GetProperty("span_id").GetString());
        Assert.Equal(run.TraceId.ToHexString(), started.GetProperty("trace_id").GetString());
        Assert.Equal("TraceProbe", started.GetProperty("workflow_type").GetString());
        Assert.False(started.TryGetProperty("activity_type", out _));
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task JsonLogs_PipelineRun_LinesThatEndAnOperationCarryDurationAndEveryLineTheService()
    {
        server.RequireCli();
        using var logs = new JsonLogCapture();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost, s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
            worker.Options("json-durations-" + Guid.NewGuid()));
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var lines = logs.Lines();
        Assert.All(lines, l => Assert.Equal("watchtower-worker", l.GetProperty("service").GetString()));
        var ours = lines
            .Where(l => l.TryGetProperty("workflow_id", out var id) && id.GetString() == handle.Id)
            .ToList();
        static string? Event(JsonElement line) => line.TryGetProperty("event", out var e) ? e.GetString() : null;
        foreach (var ended in new[] { "DocumentsPublished", "PipelineCompleted" })
        {
            var line = Assert.Single(ours, l => Event(l) == ended);
            Assert.InRange(line.GetProperty("duration_ms").GetDouble(), 0, TimeSpan.FromMinutes(5).TotalMilliseconds);
        }

        // Only lines that end something: a stage change is a moment, not an operation.
        Assert.Contains(ours, l => Event(l) == "PipelineStageChanged");
        Assert.DoesNotContain(ours, l => Event(l) == "PipelineStageChanged" && l.TryGetProperty("duration_ms", out _));
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task UntracedActivity_CalledFromAHandler_NoSpansButItsLogsInTheCallersTrace()
    {
        server.RequireCli();
        using var logs = new JsonLogCapture();
        var (probed, spans) = await StartProbedAsync(
            s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs),
            new() { ["Monitoring:UntracedActivityTypes:0"] = "probeEcho" });
        await using var worker = probed;
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();
        var handle = await client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(), worker.Options("untraced-" + Guid.NewGuid()));
        await handle.SignalAsync(wf => wf.PingAsync());
        await Eventually.UntilAsync(
            () => Task.FromResult(logs.Lines().Any(l => l.GetProperty("message").GetString() == "probe echo ping")),
            seen => seen,
            "the untraced activity to run and log");
        await handle.SignalAsync(wf => wf.FinishAsync());
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var trace = await spans.WaitForAsync(
            root.TraceId, t => t.Any(s => s.DisplayName == "RunWorkflow:TraceProbe"), "the run span");
        var handler = Monitored.Single(trace, "HandleSignal:ping");
        Assert.DoesNotContain(trace, s => s.DisplayName.EndsWith(":probeEcho", StringComparison.Ordinal));
        var echo = Assert.Single(logs.Lines(), l => l.GetProperty("message").GetString() == "probe echo ping");
        Assert.Equal(
            (handler.TraceId.ToHexString(), "probeEcho"),
            (echo.GetProperty("trace_id").GetString(), echo.GetProperty("activity_type").GetString()));
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task TraceLink_WorkflowCodeAddsToItsDetails_OneLinkAtTheEndAndTheirTextKept()
    {
        server.RequireCli();
        var (probed, _) = await StartProbedAsync(
            settings: new() { ["Monitoring:TraceLinkTemplate"] = "http://127.0.0.1:16686/trace/{traceId}" });
        await using var worker = probed;
        var handle = await server.Client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(), worker.Options("trace-link-" + Guid.NewGuid()));
        await handle.SignalAsync(wf => wf.NoteAsync("first note"));
        await handle.SignalAsync(wf => wf.NoteAsync("second note"));

        var details = await Eventually.UntilAsync(
            () => TestTools.CurrentDetailsAsync(handle),
            d => d.Contains("second note", StringComparison.Ordinal),
            "both notes in the run's details");

        // Details set to null leave the link alone in them, and the run goes on.
        await handle.SignalAsync(wf => wf.ClearDetailsAsync());
        var cleared = await Eventually.UntilAsync(
            () => TestTools.CurrentDetailsAsync(handle),
            d => !d.Contains("note", StringComparison.Ordinal),
            "the notes to be cleared");
        await handle.SignalAsync(wf => wf.FinishAsync());
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var link = Assert.Single(
            Regex.Matches(details, @"\[Trace [0-9a-f]{32}\]\(http://127\.0\.0\.1:16686/trace/[0-9a-f]{32}\)"));

        // The probe added "\n\n" + note to details that held only the link: what it wrote stays, as it wrote it.
        Assert.Equal("\n\nfirst note\n\nsecond note\n\n" + link.Value, details);
        Assert.Equal(link.Value, cleared);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_MalformedHeader_NewRootSpanAndOneWarningWorkflowCompletes()
    {
        server.RequireCli();
        var (probed, spans) = await StartProbedAsync();
        await using var worker = probed;
        var garbage = new Temporalio.Api.Common.V1.Payload
        {
            Metadata = { ["encoding"] = Google.Protobuf.ByteString.CopyFromUtf8("json/plain") },
            Data = Google.Protobuf.ByteString.CopyFromUtf8("{\"traceparent\":\"00-not-a-trace-01\"}"),
        };
        var client = await TemporalClient.ConnectAsync(new(server.TargetHost)
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors = [new FixedHeaderInterceptor(garbage, garbage)],
        });
        var handle = await client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(),
            worker.Options("malformed-" + Guid.NewGuid()));
        await handle.SignalAsync(wf => wf.FinishAsync());
        var runIds = await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var run = await Eventually.UntilAsync(
            () => Task.FromResult(spans.Snapshot().FirstOrDefault(
                s => s.DisplayName == "RunWorkflow:TraceProbe"
                    && (string?)s.GetTagItem("temporalWorkflowID") == handle.Id)),
            s => s is not null,
            "RunWorkflow:TraceProbe");
        Assert.Equal(default, run!.ParentSpanId);
        Assert.Equal($"{run.TraceId}/{run.SpanId}", runIds);
        Assert.Equal(run.SpanId, Monitored.Single(spans.InTrace(run.TraceId), "HandleSignal:finish").ParentSpanId);
        // Two malformed headers (start and signal), one warning: the rest wait for the next period's line.
        Assert.Single(worker.Logs.GetSnapshot(), r => r.Id.Name == "MalformedTraceHeader");
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_SignalWithTraceStateOverTheLimits_CountedLeftOutAndTheSignalStillUnderTheSender()
    {
        server.RequireCli();
        var (probed, spans) = await StartProbedAsync();
        await using var worker = probed;
        using var dropped = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            Watchtower.Monitoring.Telemetry.Meter, "watchtower.trace_context.dropped");
        var members = string.Join(',', Enumerable.Range(0, 40).Select(i => $"v{i}=1"));
        var oversized = new Temporalio.Api.Common.V1.Payload
        {
            Metadata = { ["encoding"] = Google.Protobuf.ByteString.CopyFromUtf8("json/plain") },
            Data = Google.Protobuf.ByteString.CopyFromUtf8(
                """{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01","tracestate":"""
                + $"\"{members}\"}}"),
        };
        var client = await TemporalClient.ConnectAsync(new(server.TargetHost)
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors = [new FixedHeaderInterceptor(start: null, signal: oversized)],
        });
        var handle = await client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(), worker.Options("tracestate-" + Guid.NewGuid()));

        await handle.SignalAsync(wf => wf.FinishAsync());
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var signal = await Eventually.UntilAsync(
            () => Task.FromResult(spans.Snapshot().FirstOrDefault(
                s => s.DisplayName == "HandleSignal:finish"
                    && (string?)s.GetTagItem("temporalWorkflowID") == handle.Id)),
            s => s is not null,
            "HandleSignal:finish");
        Assert.Equal("4db0b151cd02017588934c100ef88896", signal!.TraceId.ToHexString());
        Assert.Equal("696ee1deb8e3a1be", signal.ParentSpanId.ToHexString());
        Assert.Null(signal.TraceStateString);
        Assert.Contains(
            dropped.GetMeasurementSnapshot(),
            m => (string?)m.Tags["part"] == "tracestate" && m.Value == 1);
    }

    [Theory(Timeout = TestTimeouts.EndToEnd)]
    [InlineData("go")]
    [InlineData("typescript")]
    public async Task Tracing_ContextWrittenByOtherSdk_ContinuesInOurWorkerUnderTheirSpans(string sdk)
    {
        server.RequireCli();
        var vectors = Vectors.Load(sdk);
        var startHeader = vectors.Header("EVENT_TYPE_WORKFLOW_EXECUTION_STARTED");
        var signalHeader = vectors.Header("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED");
        var updateHeader = vectors.Header("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED");
        var (probed, spans) = await StartProbedAsync();
        await using var worker = probed;
        var client = await TemporalClient.ConnectAsync(new(server.TargetHost)
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors = [new FixedHeaderInterceptor(startHeader, signalHeader, updateHeader)],
        });

        var handle = await client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(),
            worker.Options("vector-" + sdk + "-" + Guid.NewGuid()));
        await handle.ExecuteUpdateAsync(wf => wf.RenameAsync("Grace"));
        await handle.SignalAsync(wf => wf.FinishAsync());
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        var (traceHex, startSpan) = Vectors.Parent(startHeader);
        var traceId = ActivityTraceId.CreateFromString(traceHex);
        var trace = await spans.WaitForAsync(
            traceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:TraceProbe"),
            $"RunWorkflow in the {sdk} trace");
        Assert.Equal("StartWorkflow:VectorWorkflow", vectors.Span(startSpan).Name);
        Assert.Equal(startSpan, Monitored.Single(trace, "RunWorkflow:TraceProbe").ParentSpanId.ToHexString());

        var (_, signalSpan) = Vectors.Parent(signalHeader);
        Assert.Equal("SignalWorkflow:finish", vectors.Span(signalSpan).Name);
        Assert.Equal(signalSpan, Monitored.Single(trace, "HandleSignal:finish").ParentSpanId.ToHexString());

        var (_, updateSpan) = Vectors.Parent(updateHeader);
        Assert.Contains(vectors.Span(updateSpan).Name, UpdateSpanNames);
        Assert.Equal(updateSpan, Monitored.Single(trace, "HandleUpdate:rename").ParentSpanId.ToHexString());
        Assert.Equal(updateSpan, Monitored.Single(trace, "ValidateUpdate:rename").ParentSpanId.ToHexString());
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_UnsampledCaller_NoSpansDownstreamButContextStillCarriedAndWorkflowCompletes()
    {
        server.RequireCli();
        SpanRecorder? spans = null;
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, s => spans = SpanRecorder.Attach(s));
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        var unsampled = new ActivityContext(
            ActivityTraceId.CreateRandom(),
            ActivitySpanId.CreateRandom(),
            ActivityTraceFlags.None,
            isRemote: true);

        WorkflowHandle<DocumentPipelineWorkflow, DocumentPipelineResult> handle;
        using (var caller = SpanRecorder.TestSource.StartActivity("unsampled-caller", ActivityKind.Internal, unsampled))
        {
            Assert.NotNull(caller);
            Assert.False(caller.Recorded);
            handle = await client.StartWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
                worker.Options("unsampled-" + Guid.NewGuid()));
        }

        var result = await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
        Assert.Equal(2, result.DocumentsPublished);
        Assert.Empty(spans!.InTrace(unsampled.TraceId));

        // The decision travels with the context: every header is in the caller's trace, flagged unsampled.
        var history = await handle.FetchHistoryAsync();
        var scheduled = history.Events
            .Where(e => e.EventType == EventType.ActivityTaskScheduled)
            .Select(e => e.ActivityTaskScheduledEventAttributes.Header.Fields["_tracer-data"].Data.ToStringUtf8())
            .ToList();
        Assert.NotEmpty(scheduled);
        Assert.All(
            scheduled,
            h => Assert.Matches($"^\\{{\"traceparent\":\"00-{unsampled.TraceId}-[0-9a-f]{{16}}-00\"\\}}$", h));
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_CallFromHandlerSentUnderAnotherTrace_ParentedToTheHandlerInTheSendersTrace()
    {
        server.RequireCli();
        var (probed, spans) = await StartProbedAsync();
        await using var worker = probed;
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        WorkflowHandle<TraceProbeWorkflow, string> handle;
        ActivityTraceId startTrace;
        using (var starter = SpanRecorder.ClientRoot())
        {
            startTrace = starter.TraceId;
            handle = await client.StartWorkflowAsync(
                (TraceProbeWorkflow wf) => wf.RunAsync(),
                worker.Options("handler-call-" + Guid.NewGuid()));
        }

        ActivityTraceId signalTrace;
        using (var sender = SpanRecorder.ClientRoot())
        {
            signalTrace = sender.TraceId;
            await handle.SignalAsync(wf => wf.PingAsync());
        }

        // The handler's span ends after its call's, which ends after the activity has run.
        var trace = await spans.WaitForAsync(
            signalTrace,
            t => t.Any(s => s.DisplayName == "HandleSignal:ping"),
            "the ping handler's span");
        var handler = Monitored.Single(trace, "HandleSignal:ping");
        var call = Monitored.Single(trace, "StartActivity:probeEcho");
        Assert.Equal(Monitored.Single(trace, "SignalWorkflow:ping").SpanId, handler.ParentSpanId);
        Assert.Equal(handler.SpanId, call.ParentSpanId);
        Assert.Equal(call.SpanId, Monitored.Single(trace, "RunActivity:probeEcho").ParentSpanId);
        Assert.DoesNotContain(
            spans.InTrace(startTrace),
            s => s.DisplayName.Contains("probeEcho", StringComparison.Ordinal));

        await handle.SignalAsync(wf => wf.FinishAsync());
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Tracing_SignalHandlerFailsTheRun_RunWorkflowEndsWithTheFailure()
    {
        server.RequireCli();
        var (probed, spans) = await StartProbedAsync();
        await using var worker = probed;
        using var metrics = new MetricsProbe(worker.TaskQueue);
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();

        var handle = await client.StartWorkflowAsync(
            (TraceProbeWorkflow wf) => wf.RunAsync(),
            worker.Options("handler-fails-" + Guid.NewGuid()));
        await handle.SignalAsync(wf => wf.FailAsync());
        var failed = await Assert.ThrowsAsync<Temporalio.Exceptions.WorkflowFailedException>(
            () => handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        Assert.Equal("probe failed on request", failed.InnerException!.Message);

        var trace = await spans.WaitForAsync(
            root.TraceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:TraceProbe"),
            "RunWorkflow to be emitted when the handler failed the run");
        var run = Monitored.Single(trace, "RunWorkflow:TraceProbe");
        Assert.Equal(ActivityStatusCode.Error, run.Status);
        Assert.Equal("ProbeFailure", run.StatusDescription);
        Assert.Equal("ProbeFailure", run.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, Monitored.Single(trace, "HandleSignal:fail").Status);
        Assert.Equal(1, metrics.Closed("TraceProbe", "failed"));
        Assert.Equal(0, metrics.InFlight("TraceProbe"));
    }

    private static readonly string[] UpdateSpanNames = ["UpdateWorkflow:rename", "StartWorkflowUpdate:rename"];

    private async Task<(IReadOnlyList<Activity> Trace, ActivitySpanId Root)> RunSmallPipelineAsync(bool disableCache)
    {
        SpanRecorder? spans = null;
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, s =>
        {
            spans = SpanRecorder.Attach(s);
            if (disableCache)
            {
                Monitored.DisableCache(s);
            }
        });
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();
        var input = Documents.Pipeline(documents: 3, batchSize: 1, reviewWindowSeconds: 600);
        var handle = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
            worker.Options("replayed-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "the AwaitingReview stage");
        await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "erin")));
        await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
        var traceId = root.TraceId;
        var trace = await spans!.WaitForAsync(
            traceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:DocumentPipeline"),
            "RunWorkflow:DocumentPipeline");
        return (trace, root.SpanId);
    }

    private static (string, int)[] Names(IEnumerable<Activity> trace) =>
        [
            .. trace.Where(s => !s.DisplayName.Contains("Query", StringComparison.Ordinal))
                .GroupBy(s => s.DisplayName)
                .Select(g => (g.Key, g.Count()))
                .OrderBy(p => p.Key, StringComparer.Ordinal),
        ];

    [GeneratedRegex("""^\{"traceparent":"00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-9a-f]"\}$""")]
    private static partial Regex TraceParentOnly();

    /// <summary>A worker with the probe workflow and activity, its spans recorded.</summary>
    private async Task<(WorkerHarness Worker, SpanRecorder Spans)> StartProbedAsync(
        Action<IServiceCollection>? configure = null, Dictionary<string, string?>? settings = null)
    {
        SpanRecorder? spans = null;
        var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            s =>
            {
                spans = SpanRecorder.Attach(s);
                Monitored.Probe(s);
                configure?.Invoke(s);
            },
            settings);
        return (worker, spans!);
    }
}
