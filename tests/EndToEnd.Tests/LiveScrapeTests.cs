using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// The Grafana dashboard and the alert rules in temporal-dev/ against a live scrape: the worker runs
/// a known mix of workflows, a real Prometheus scrapes it and the dev server every second with the
/// rules loaded, and its HTTP API is asked what the dashboard and the rules ask. Runs alone: a
/// one-second scrape of a worker that also carries every parallel test's series can miss its
/// timeout on a busy machine.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed partial class LiveScrapeTests(DevServerFixture server)
{
    private const string WorkerJob = "watchtower-worker";
    private const string ServerJob = "temporal-server";
    private const string SdkDashboardJob = "watchtower-sdk-dashboard";
    private const string SdkDashboardPath = "/metrics/temporal-core";

    /// <summary>
    /// What Temporal's Core SDK Grafana dashboard (temporalio/dashboards, sdk/) reads, as Core names it: counters
    /// without <c>_total</c>, histograms in milliseconds without a unit. Its panels rate the counters, take the 95th
    /// percentile of the histograms (and count activity schedule-to-start), and show the gauges as they are, all
    /// by namespace; the queries below ask the same of each.
    /// </summary>
    private static readonly (string Name, char Kind)[] CoreDashboardSeries =
    [
        ("temporal_request", 'c'), ("temporal_request_failure", 'c'), ("temporal_long_request_failure", 'c'),
        ("temporal_workflow_completed", 'c'), ("temporal_workflow_failed", 'c'),
        ("temporal_workflow_task_queue_poll_succeed", 'c'), ("temporal_workflow_task_queue_poll_empty", 'c'),
        ("temporal_workflow_task_execution_failed", 'c'), ("temporal_activity_execution_failed", 'c'),
        ("temporal_activity_poll_no_task", 'c'), ("temporal_sticky_cache_hit", 'c'),
        ("temporal_sticky_cache_miss", 'c'),
        ("temporal_sticky_cache_total_forced_eviction", 'c'),
        ("temporal_request_latency", 'h'), ("temporal_long_request_latency", 'h'),
        ("temporal_workflow_endtoend_latency", 'h'), ("temporal_workflow_task_schedule_to_start_latency", 'h'),
        ("temporal_workflow_task_execution_latency", 'h'), ("temporal_workflow_task_replay_latency", 'h'),
        ("temporal_activity_execution_latency", 'h'), ("temporal_activity_schedule_to_start_latency", 'h'),
        ("temporal_worker_task_slots_available", 'g'), ("temporal_worker_task_slots_used", 'g'),
        ("temporal_sticky_cache_size", 'g'),
    ];

    /// <summary>Names the worker exports: its own, the SDK's, and the .NET runtime's.</summary>
    private static readonly string[] WorkerPrefixes = ["watchtower_", "temporal_", "dotnet_"];

    /// <summary>PromQL words that look like metric names.</summary>
    private static readonly HashSet<string> Keywords = new(
        [
            "by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "offset", "bool", "inf", "nan",
        ],
        StringComparer.Ordinal);

    /// <summary>
    /// The mix, on the worker's own task queue: DocumentPipeline runs that complete (through the
    /// monitored client, from the CLI, after a query, a rejected update and the review signal, and two
    /// started by the worker's dispatcher on request), that fail on invalid input, and one canceled
    /// (in neither side of the failure ratio). Publishing fails twice before the index comes up, so
    /// activity failures and retries show. A second worker, which keeps one run in its cache, runs
    /// pipelines of its own at once on a second queue, so that its sticky tasks miss the cache (the
    /// first keeps its cache: a dispatcher evicted over and over would replay all the time). A type
    /// nobody registered fails its workflow task and is
    /// terminated; a run on a queue nobody polls times out on the server.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task
        DashboardAndAlertRules_KnownMixScrapedByRealPrometheus_EveryMetricAndPanelAnswersAndFailureRatioMatchesTheMix()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        var prometheusPath = TestTools.Require(TestTools.Prometheus, "prometheus (Debian package prometheus)");
        var root = TestTools.RepositoryRoot();
        var port = TestTools.FreePort();
        var dispatcherId = "dispatcher-" + Guid.NewGuid().ToString("N");
        var settings = WorkerHarness.DispatcherSettings(dispatcherId, port);
        settings["Monitoring:SdkDashboardPath"] = SdkDashboardPath;

        // A collector that is not there: every export fails, which the trace-export alert reads.
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{TestTools.FreePort()}";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            s => s.AddSingleton<IDocumentIndex>(new RecordingIndex(failFirst: 2)),
            settings);
        await using var prometheus = await PrometheusServer.StartAsync(
            prometheusPath,
            Path.Combine(root, "temporal-dev", "prometheus", "rules", "*.yml"),
            (WorkerJob, $"127.0.0.1:{port}"),
            (ServerJob, $"127.0.0.1:{server.MetricsPort}"),
            (SdkDashboardJob, $"127.0.0.1:{port}{SdkDashboardPath}"));
        await Eventually.UntilAsync(
            () => TargetsAsync(prometheus),
            t => t == $"{ServerJob}=up {SdkDashboardJob}=up {WorkerJob}=up",
            "Prometheus to scrape the worker and the dev server");
        await worker.WaitForLogAsync("DispatcherAttached", "the worker to attach to its dispatcher");
        // Its SDK metrics reach the scrape through the process's one Meter; on the Core dashboard's path too, when
        // its runtime records them there.
        await using var evicting = await WorkerHarness.StartAsync(
            server.TargetHost,
            s => Monitored.LimitCache(s, runs: 1),
            new Dictionary<string, string?> { ["Monitoring:SdkDashboardPath"] = SdkDashboardPath });

        var queue = worker.TaskQueue;
        string[] queues = [queue, evicting.TaskQueue];
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        var pipelines =
            $"watchtower_workflows_closed_total{{task_queue=\"{queue}\", workflow_type=\"DocumentPipeline\"";

        // rate() counts what a counter gained between samples in its window, never a series' first
        // value: one completed and one failed run make both series exist before the measured mix.
        await Task.WhenAll(
            client.ExecuteWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
                worker.Options("first-ok-" + Guid.NewGuid())),
            ExecuteInvalidAsync(cli, queue, """{"name":"first-bad","documents":[]}""", "'documents' must"));
        await Eventually.UntilAsync(
            () => OutcomesAsync(prometheus, pipelines),
            o => o == "completed=1 failed=1",
            "Prometheus to scrape the first completed and the first failed pipeline");

        // The measured mix: 7 completed, 2 failed, 1 canceled.
        const int Completed = 7, Failed = 2;
        await Task.WhenAll(
            Task.WhenAll(Enumerable.Range(0, 3).Select(i => client.ExecuteWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
                worker.Options($"ok-{i}-{Guid.NewGuid():N}")))),
            ExecuteAsync(cli, queue),
            Task.WhenAll(Enumerable.Range(0, 3).Select(i => server.Client.ExecuteWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 3, batchSize: 1)),
                evicting.Options($"evicted-{i}-{Guid.NewGuid():N}")))),
            ExecuteInvalidAsync(
                cli,
                queue,
                """{"name":"bad-type","documents":[{"id":"a","content":"x"}],"batchSize":"many"}""",
                "'batchSize' has the wrong type"),
            ExecuteInvalidAsync(
                cli,
                queue,
                """{"name":"bad-range","documents":[{"id":"a","content":"x"}],"batchSize":500}""",
                "'batchSize' must be between 1 and 100"),
            ReviewedAsync(cli, client, queue),
            CanceledAsync(cli, client, queue),
            DispatchedAsync(cli, client, dispatcherId, requests: 2),
            UnregisteredTypeAsync(cli, prometheus, queue),
            TimedOutOnServerAsync(cli, client),
            RefusedRequestsAsync(worker, server.TargetHost));
        await Eventually.UntilAsync(
            () => OutcomesAsync(prometheus, pipelines),
            o => o == $"canceled=1 completed={Completed + 1} failed={Failed + 1}",
            "Prometheus to scrape every pipeline of the mix");

        // The rules as Prometheus loaded them, each evaluated on the live data without error.
        var rules = await Eventually.UntilAsync(
            () => RulesAsync(prometheus),
            r => r.Count > 0 && r.All(rule => rule.Health == "ok"),
            "every alert rule to be evaluated without error");
        var dashboard = Dashboard.Load(
            Path.Combine(root, "temporal-dev", "grafana", "dashboards", "watchtower-worker.json"),
            queues);

        // Every metric name they use has data, from the job that should have it.
        var names = rules.SelectMany(r => MetricNames(r.Query))
            .Concat(dashboard.Queries.SelectMany(q => MetricNames(q.Expression)))
            .ToHashSet(StringComparer.Ordinal);
        await Eventually.UntilAsync(
            () => MissingAsync(prometheus, names, queues),
            missing => missing.Length == 0,
            "every metric name in the dashboard and the alert rules to have data",
            TimeSpan.FromSeconds(60));

        // Every panel query is valid PromQL and answers; every variable lists what the mix produced.
        // A series scraped once has no rate yet: the next scrapes give it one.
        await Eventually.UntilAsync(
            () => UnansweredAsync(prometheus, dashboard.Queries),
            unanswered => unanswered.Length == 0,
            "every dashboard query to be accepted and answer with data",
            TimeSpan.FromSeconds(60));
        foreach (var (name, label, selector) in dashboard.Variables)
        {
            var values = await prometheus.LabelValuesAsync(label, selector);
            var expected = name switch
            {
                "namespace" => "default",
                "task_queue" => queue,
                "workflow_type" => "DocumentPipeline",
                _ => null,
            };
            Assert.True(
                expected is null ? values.Count > 0 : values.Contains(expected),
                $"variable {name} (label_values({selector}, {label})) lists [{string.Join(", ", values)}]");
        }

        // The failure-ratio rule, its expression as Prometheus loaded it, on the measured mix. The
        // counters split the whole mix exactly. rate() extrapolates each series over the window from
        // its own samples, which stretches a series with few samples more than one with many; once
        // the completed and the failed series each hold 20 samples they stretch alike, and the
        // rule's ratio is the mix's to within a percentage point.
        await Eventually.UntilAsync(
            async () => (await prometheus.QueryAsync(
                    $"min(count_over_time({pipelines}, outcome=~\"completed|failed\"}}[10m]))"))
                .Select(PrometheusServer.Value)
                .FirstOrDefault(),
            samples => samples >= 20,
            "20 samples of the completed and the failed pipelines",
            TimeSpan.FromSeconds(90));
        // Instant queries are retried: one scrape that misses its one-second timeout on a busy machine
        // marks the worker's series stale until the next.
        var failureRatio = Assert.Single(rules, r => r.Name == "WatchtowerWorkflowFailureRatioHigh");
        var ours = await Eventually.UntilAsync(
            async () => (await prometheus.QueryAsync(failureRatio.Query))
                .Where(s => PrometheusServer.Label(s, "task_queue") == queue)
                .ToList(),
            r => r.Count == 1,
            "the failure-ratio rule's expression to answer for the pipelines of the mix");
        var pipelineRatio = Assert.Single(ours);
        Assert.Equal("DocumentPipeline", PrometheusServer.Label(pipelineRatio, "workflow_type"));
        var measured = (double)Failed / (Completed + Failed);
        Assert.InRange(PrometheusServer.Value(pipelineRatio), measured - 0.01, measured + 0.01);

        // The counters hold the first two runs too.
        var split = Assert.Single(await Eventually.UntilAsync(
            () => prometheus.QueryAsync(
                $"sum({pipelines}, outcome=~\"failed|timed_out\"}})"
                + $" / sum({pipelines}, outcome=~\"completed|failed|timed_out\"}})"),
            r => r.Count == 1,
            "the pipelines' counters to answer"));
        Assert.Equal((double)(Failed + 1) / (Completed + Failed + 2), PrometheusServer.Value(split), 9);
        var alerts = await Eventually.UntilAsync(
            () => AlertsAsync(prometheus, queue),
            a => a.Contains("WatchtowerWorkflowFailureRatioHigh/DocumentPipeline=pending", StringComparison.Ordinal),
            "the failure-ratio warning to be pending for the pipelines of the mix");
        Assert.DoesNotContain("WatchtowerWorkflowFailureRatioCritical", alerts, StringComparison.Ordinal);

        // Temporal's own Core SDK dashboard on the second path: each series it reads answers, and its
        // durations are the same observations as ours, in milliseconds.
        await Eventually.UntilAsync(
            () => UnansweredAsync(prometheus, CoreDashboardSeries.Select(CoreDashboardQuery)),
            unanswered => unanswered.Length == 0,
            "every series Temporal's Core SDK dashboard reads to answer on " + SdkDashboardPath,
            TimeSpan.FromSeconds(60));
        // The analyses ended with the mix (heartbeats go on, so they are left out): both sums hold the same runs.
        const string Analyses = "activity_type=\"analyzeDocument\"";
        var ratio = Assert.Single(await prometheus.QueryAsync(
            $"sum(temporal_activity_execution_latency_sum{{job=\"{SdkDashboardJob}\", {Analyses}}})"
            + $" / sum(temporal_activity_execution_latency_seconds_sum{{job=\"{WorkerJob}\", {Analyses}}})"));
        Assert.InRange(PrometheusServer.Value(ratio), 990, 1010);
        Assert.NotEmpty(await prometheus.QueryAsync(
            $"{{job=\"{WorkerJob}\", __name__=~\"temporal_.*_seconds_bucket\"}}"));

        await cli.TextAsync("workflow", "cancel", "--workflow-id", dispatcherId);
    }

    private static (string Where, string Expression) CoreDashboardQuery((string Name, char Kind) series)
    {
        var selector = $"{{job=\"{SdkDashboardJob}\", namespace=~\".*\"}}";
        return (series.Name, series.Kind switch
        {
            'c' => $"sum by (namespace) (rate({series.Name}{selector}[1m]))",
            'h' => $"histogram_quantile(0.95, sum by (namespace, le) (rate({series.Name}_bucket{selector}[1m])))",
            _ => $"{series.Name}{selector}",
        });
    }

    private static string Json(DocumentPipelineInput input) =>
        JsonSerializer.Serialize(input, PipelineDataConverter.SerializerOptions);

    private static async Task ExecuteAsync(TemporalCli cli, string queue)
    {
        var output = await cli.TextAsync(
            "workflow", "execute", "--type", "DocumentPipeline", "--task-queue", queue,
            "--workflow-id", "cli-ok-" + Guid.NewGuid().ToString("N"),
            "--input", Json(Documents.Pipeline(documents: 2, batchSize: 1)));
        Assert.Contains("COMPLETED", output, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task ExecuteInvalidAsync(TemporalCli cli, string queue, string input, string reason)
    {
        var result = await cli.RunAsync(
            "workflow", "execute", "--type", "DocumentPipeline", "--task-queue", queue,
            "--workflow-id", "cli-bad-" + Guid.NewGuid().ToString("N"),
            "--input", input);
        Assert.True(
            result.ExitCode != 0 && (result.Output + result.Error).Contains(reason, StringComparison.Ordinal),
            result.ToString());
    }

    /// <summary>
    /// Starts a pipeline and returns once its review timer is in history. A query alone is not enough:
    /// with the run out of the small cache, a query is answered from a replay of every event,
    /// including those of a workflow task not yet completed, and an update sent then would be
    /// validated in that task, before the stage it reported.
    /// </summary>
    private static async Task StartAwaitingReviewAsync(TemporalCli cli, TemporalClient client, string queue, string id)
    {
        await cli.TextAsync(
            "workflow", "start", "--type", "DocumentPipeline", "--task-queue", queue, "--workflow-id", id,
            "--input", Json(Documents.Pipeline(documents: 1, reviewWindowSeconds: 600)));
        await Eventually.UntilAsync(
            async () => (await client.GetWorkflowHandle(id).FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc }))
                .Events.Any(e => e.EventType == EventType.TimerStarted),
            started => started,
            $"{id} to start its review timer");
        var progress = await cli.TextAsync("workflow", "query", "--workflow-id", id, "--name", "progress");
        Assert.Contains("awaitingReview", progress, StringComparison.Ordinal);
    }

    private static async Task ReviewedAsync(TemporalCli cli, TemporalClient client, string queue)
    {
        var id = "reviewed-" + Guid.NewGuid().ToString("N");
        await StartAwaitingReviewAsync(cli, client, queue, id);
        var late = await cli.RunAsync(
            "workflow", "update", "execute", "--workflow-id", id, "--name", "addDocuments",
            "--input", """[{"id":"late-1","title":"Late","content":"Quarterly report summary"}]""");
        Assert.True(
            late.ExitCode != 0
                && late.Error.Contains("can only be added while the pipeline is analyzing", StringComparison.Ordinal),
            late.ToString());
        await cli.TextAsync(
            "workflow", "signal", "--workflow-id", id, "--name", "review",
            "--input", """{"approved":true,"reviewer":"alice"}""");
        var result = await client.GetWorkflowHandle(id)
            .GetResultAsync<DocumentPipelineResult>(rpcOptions: WorkerHarness.Rpc);
        Assert.Equal("alice", result.ApprovedBy);
    }

    private static async Task CanceledAsync(TemporalCli cli, TemporalClient client, string queue)
    {
        var id = "canceled-" + Guid.NewGuid().ToString("N");
        await StartAwaitingReviewAsync(cli, client, queue, id);
        await cli.TextAsync("workflow", "cancel", "--workflow-id", id);
        var failed = await Assert.ThrowsAsync<WorkflowFailedException>(
            () => client.GetWorkflowHandle(id).GetResultAsync(rpcOptions: WorkerHarness.Rpc));
        Assert.IsType<CanceledFailureException>(failed.InnerException);
    }

    private static async Task DispatchedAsync(TemporalCli cli, TemporalClient client, string dispatcherId, int requests)
    {
        for (var i = 1; i <= requests; i++)
        {
            await DispatcherTests.SubmitAsync(
                cli,
                dispatcherId,
                $$$"""{"requestId":"req-{{{i}}}","pipeline":{"name":"dispatched-{{{i}}}","documents":["""
                + $$$"""{"id":"d1","content":"Invoice {{{i}}}"}],"reviewWindowSeconds":0}}""");
        }

        await Eventually.UntilAsync(
            () => client.GetWorkflowHandle<DocumentDispatcherWorkflow>(dispatcherId)
                .QueryAsync(wf => wf.Status, new() { Rpc = WorkerHarness.Rpc }),
            s => s.Totals.Dispatched == requests,
            $"the dispatcher to start {requests} pipelines");
        for (var i = 1; i <= requests; i++)
        {
            await client.GetWorkflowHandle($"{dispatcherId}-req-{i}")
                .GetResultAsync<DocumentPipelineResult>(rpcOptions: WorkerHarness.Rpc);
        }
    }

    private static async Task UnregisteredTypeAsync(TemporalCli cli, PrometheusServer prometheus, string queue)
    {
        var id = "unregistered-" + Guid.NewGuid().ToString("N");
        await cli.TextAsync(
            "workflow", "start", "--type", "NoSuchWorkflow", "--task-queue", queue, "--workflow-id", id);
        await Eventually.UntilAsync(
            () => prometheus.QueryAsync(
                "temporal_workflow_task_execution_failed_total"
                + $"{{task_queue=\"{queue}\", workflow_type=\"_unregistered\"}}"),
            r => r.Count > 0,
            "Prometheus to scrape the failed workflow task of a type nobody registered");
        await cli.TextAsync("workflow", "terminate", "--workflow-id", id, "--reason", "the type is not registered");
    }

    private static async Task TimedOutOnServerAsync(TemporalCli cli, TemporalClient client)
    {
        var id = "timed-out-" + Guid.NewGuid().ToString("N");
        await cli.TextAsync(
            "workflow", "start", "--type", "DocumentPipeline",
            "--task-queue", "unpolled-" + Guid.NewGuid().ToString("N"),
            "--workflow-id", id, "--run-timeout", "1s");
        await Eventually.UntilAsync(
            async () => (await client.GetWorkflowHandle(id).DescribeAsync(new() { Rpc = WorkerHarness.Rpc })).Status,
            s => s == WorkflowExecutionStatus.TimedOut,
            "a run with a 1 s run timeout on a queue nobody polls to time out");
    }

    /// <summary>
    /// Requests the server refuses, made on the worker's runtime, whose metrics the scrape carries: a describe
    /// (<c>temporal_request_failure</c>) and a wait for the result (a long request) of a run that does not exist.
    /// </summary>
    private static async Task RefusedRequestsAsync(WorkerHarness worker, string address)
    {
        var client = await TemporalClient.ConnectAsync(new(address)
        {
            Runtime = worker.Host.Services.GetRequiredService<Temporalio.Runtime.TemporalRuntime>(),
        });
        var missing = client.GetWorkflowHandle("no-such-run-" + Guid.NewGuid().ToString("N"));
        await Assert.ThrowsAsync<RpcException>(() => missing.DescribeAsync(new() { Rpc = WorkerHarness.Rpc }));
        await Assert.ThrowsAsync<RpcException>(() => missing.GetResultAsync(rpcOptions: WorkerHarness.Rpc));
    }

    private static async Task<string> TargetsAsync(PrometheusServer prometheus) =>
        string.Join(' ', (await prometheus.GetAsync("targets?state=active"))
            .GetProperty("activeTargets")
            .EnumerateArray()
            .Select(t => $"{t.GetProperty("labels").GetProperty("job").GetString()}"
                + $"={t.GetProperty("health").GetString()}")
            .Order(StringComparer.Ordinal));

    /// <summary>
    /// "outcome=count ..." of the series a selector (without its closing brace) names, as Prometheus has them now.
    /// </summary>
    private static async Task<string> OutcomesAsync(PrometheusServer prometheus, string openSelector) =>
        string.Join(' ', (await prometheus.QueryAsync($"sum by (outcome) ({openSelector}}})"))
            .Select(s => $"{PrometheusServer.Label(s, "outcome")}="
                + $"{PrometheusServer.Value(s).ToString(CultureInfo.InvariantCulture)}")
            .Order(StringComparer.Ordinal));

    private sealed record Rule(string Name, string Query, string Health, string? LastError)
    {
        public override string ToString() => $"{Name}: {Health} {LastError}";
    }

    private static async Task<IReadOnlyList<Rule>> RulesAsync(PrometheusServer prometheus) =>
        [.. (await prometheus.GetAsync("rules")).GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => new Rule(
                r.GetProperty("name").GetString()!,
                r.GetProperty("query").GetString()!,
                r.GetProperty("health").GetString()!,
                r.TryGetProperty("lastError", out var e) ? e.GetString() : null))];

    /// <summary>"alertname/workflow_type=state ..." of the alerts on the task queue.</summary>
    private static async Task<string> AlertsAsync(PrometheusServer prometheus, string queue) =>
        string.Join(' ', (await prometheus.GetAsync("alerts")).GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("labels").TryGetProperty("task_queue", out var q) && q.GetString() == queue)
            .Select(a => $"{a.GetProperty("labels").GetProperty("alertname").GetString()}/"
                + $"{(a.GetProperty("labels").TryGetProperty("workflow_type", out var t) ? t.GetString() : "-")}"
                + $"={a.GetProperty("state").GetString()}")
            .Order(StringComparer.Ordinal));

    /// <summary>
    /// The names without data from the job that exports them, each with what was found. The worker's
    /// series are process-wide (other tests' workers record into them too), so a name whose series
    /// carry a task queue must have one on one of this test's queues.
    /// </summary>
    private static async Task<string> MissingAsync(
        PrometheusServer prometheus,
        IEnumerable<string> names,
        string[] queues)
    {
        var missing = new List<string>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            string[] jobs = name == "up" ? [ServerJob, WorkerJob]
                : WorkerPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) ? [WorkerJob]
                : [ServerJob];
            foreach (var job in jobs)
            {
                var found = (await prometheus.QueryAsync(
                    $"count by (task_queue) ({{__name__=\"{name}\", job=\"{job}\"}})"))
                    .Select(s => PrometheusServer.Label(s, "task_queue")).ToList();
                if (found.Count == 0)
                {
                    missing.Add($"{name} (no series from {job})");
                }
                else if (found.Any(q => q is not null) && !found.Any(queues.Contains))
                {
                    missing.Add($"{name} (not on this test's task queues)");
                }
            }
        }

        return string.Join(", ", missing);
    }

    /// <summary>The queries Prometheus refuses or answers with nothing, each with why and the query.</summary>
    private static async Task<string> UnansweredAsync(
        PrometheusServer prometheus,
        IEnumerable<(string Where, string Expression)> queries)
    {
        var unanswered = new List<string>();
        foreach (var (where, expression) in queries)
        {
            var (error, result) = await prometheus.TryQueryAsync(expression);
            if (error is not null || result.Count == 0)
            {
                unanswered.Add(
                    $"{Environment.NewLine}{where}: {error ?? "no data"}{Environment.NewLine}    {expression}");
            }
        }

        return string.Concat(unanswered);
    }

    /// <summary>
    /// The metric names a PromQL expression selects: strings, label matchers, ranges and grouping
    /// clauses removed, then every identifier that is neither a function call nor a keyword.
    /// </summary>
    internal static HashSet<string> MetricNames(string expression)
    {
        var bare = StringLiteral().Replace(expression, "\"\"");
        bare = LabelMatchers().Replace(bare, string.Empty);
        bare = Ranges().Replace(bare, string.Empty);
        bare = Grouping().Replace(bare, string.Empty);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in Identifier().Matches(bare))
        {
            if (!match.Groups[2].Success && !Keywords.Contains(match.Groups[1].Value.ToLowerInvariant()))
            {
                names.Add(match.Groups[1].Value);
            }
        }

        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^\s*label_values\((.*),\s*(\w+)\)\s*$", RegexOptions.Singleline)]
    private static partial Regex LabelValues();

    /// <summary>
    /// The dashboard's queries with Grafana's variables filled in: the intervals as
    /// temporal-dev/README-assets.md says (1m, 1h), the namespace and the task queues pinned to this
    /// test's, as Grafana writes a selection of two (the notes use .*, which would also answer with
    /// other tests' data), every workflow type.
    /// </summary>
    private sealed record Dashboard(
        IReadOnlyList<(string Where, string Expression)> Queries,
        IReadOnlyList<(string Name, string Label, string Selector)> Variables)
    {
        public static Dashboard Load(string path, string[] queues)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var queries = new List<(string, string)>();
            foreach (var panel in json.RootElement.GetProperty("panels").EnumerateArray())
            {
                IEnumerable<JsonElement> inner = panel.TryGetProperty("panels", out var nested)
                    ? [panel, .. nested.EnumerateArray()]
                    : [panel];
                foreach (var p in inner.Where(p => p.TryGetProperty("targets", out _)))
                {
                    foreach (var target in p.GetProperty("targets").EnumerateArray())
                    {
                        queries.Add((
                            $"panel \"{p.GetProperty("title").GetString()}\" {target.GetProperty("refId").GetString()}",
                            Substitute(target.GetProperty("expr").GetString()!, queues)));
                    }
                }
            }

            var variables = new List<(string, string, string)>();
            foreach (var variable in json.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
                .Where(v => v.GetProperty("type").GetString() == "query"))
            {
                var query = variable.GetProperty("query");
                var text = query.ValueKind == JsonValueKind.Object
                    ? query.GetProperty("query").GetString()!
                    : query.GetString()!;
                var match = LabelValues().Match(text);
                Assert.True(
                    match.Success,
                    $"variable {variable.GetProperty("name")} is not a label_values query: {text}");
                variables.Add((
                    variable.GetProperty("name").GetString()!,
                    match.Groups[2].Value,
                    Substitute(match.Groups[1].Value, queues)));
            }

            Assert.NotEmpty(queries);
            return new(queries, variables);
        }

        private static string Substitute(string expression, string[] queues)
        {
            var filled = expression
                .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                .Replace("$__range", "1h", StringComparison.Ordinal)
                .Replace("$__interval", "15s", StringComparison.Ordinal)
                .Replace("$namespace", "default", StringComparison.Ordinal)
                .Replace("$task_queue", $"({string.Join('|', queues)})", StringComparison.Ordinal)
                .Replace("$workflow_type", ".*", StringComparison.Ordinal);
            Assert.False(
                filled.Contains('$', StringComparison.Ordinal),
                $"a dashboard variable this test does not fill in: {expression}");
            return filled;
        }
    }
}
