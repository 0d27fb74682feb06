using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Documents;

namespace Watchtower.EndToEnd.Tests;

public sealed class ExportTests(DevServerFixture server)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task PrometheusEndpoint_WorkflowsStartedFromCli_ServesWorkflowActivityAndSdkSeriesThatPassPromtool()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        var promtool = TestTools.Require(TestTools.Promtool, "promtool (Debian package prometheus)");
        var port = TestTools.FreePort();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, settings: new Dictionary<string, string?>
        {
            ["Monitoring:Enabled"] = "true",
            ["MONITORING_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        });
        var id = "scraped-" + Guid.NewGuid().ToString("N");
        var input = JsonSerializer.Serialize(Documents.Pipeline(documents: 2, batchSize: 1), Watchtower.Workflows.PipelineDataConverter.SerializerOptions);
        var executed = await cli.RunAsync("workflow", "execute", "--type", "DocumentPipeline", "--task-queue", worker.TaskQueue, "--workflow-id", id, "--input", input);
        Assert.True(executed.ExitCode == 0, executed.ToString());
        GC.Collect();

        var body = await Eventually.UntilAsync(
            () => Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), TestContext.Current.CancellationToken),
            text => text.Contains("watchtower_workflows_closed_total", StringComparison.Ordinal),
            "the scrape to show the closed workflow");
        var queue = $"task_queue=\"{worker.TaskQueue}\"";
        Assert.Equal(1, Value(body, "watchtower_workflows_started_total", queue, "workflow_type=\"DocumentPipeline\""));
        Assert.Equal(1, Value(body, "watchtower_workflows_closed_total", queue, "workflow_type=\"DocumentPipeline\"", "outcome=\"completed\""));
        Assert.Equal(2, Value(body, "watchtower_workflows_closed_total", queue, "workflow_type=\"DocumentBatch\"", "outcome=\"completed\""));
        Assert.Equal(2, Value(body, "watchtower_activity_executions_total", queue, "activity_type=\"analyzeDocument\"", "outcome=\"completed\"", "local=\"false\""));
        Assert.Equal(1, Value(body, "watchtower_workflow_duration_seconds_count", queue, "workflow_type=\"DocumentPipeline\""));
        Assert.Equal(1, Value(body, "watchtower_workflow_duration_seconds_bucket", queue, "workflow_type=\"DocumentPipeline\"", "le=\"+Inf\""));
        Assert.Contains("watchtower_activity_duration_seconds_bucket{", body, StringComparison.Ordinal);
        Assert.Contains("le=\"0.005\"", body, StringComparison.Ordinal);
        Assert.Contains("le=\"3600\"", body, StringComparison.Ordinal);
        Assert.Equal(2, Value(body, "watchtower_activity_allocated_bytes_count", queue, "activity_type=\"analyzeDocument\""));
        Assert.Equal(2, Value(body, "watchtower_activity_allocated_bytes_bucket", queue, "activity_type=\"analyzeDocument\"", "le=\"1073741824\""));
        Assert.True(Value(body, "temporal_worker_task_slots_available", queue) > 0, "the SDK's slot gauge is bridged");
        Assert.True(Value(body, "temporal_workflow_task_schedule_to_start_latency_seconds_count", queue) > 0, "the SDK's latency histograms are bridged, in seconds");
        Assert.Contains("temporal_request_total{", body, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total{", body, StringComparison.Ordinal);
        Assert.Matches("target_info\\{[^}]*service_name=\"watchtower-worker\"", body);
        Assert.DoesNotContain(id, body, StringComparison.Ordinal);

        var localhost = await Http.GetAsync(new Uri($"http://localhost:{port}/metrics"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, localhost.StatusCode);
        var elsewhere = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/other"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);

        var (exitCode, output, error) = await ExternalProcess.RunAsync(promtool, ["check", "metrics"], body);
        Assert.True(exitCode == 0, $"promtool check metrics failed ({exitCode}):{Environment.NewLine}{output}{error}");
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task PrometheusEndpoint_PortAlreadyTaken_OneWarningAndWorkflowsStillComplete()
    {
        server.RequireCli();
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, settings: new Dictionary<string, string?>
        {
            ["Monitoring:Enabled"] = "true",
            ["Monitoring:Port"] = port.ToString(CultureInfo.InvariantCulture),
        });

        var result = await server.Client.ExecuteWorkflowAsync((DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 1)), worker.Options("portless-" + Guid.NewGuid()));

        Assert.Equal(1, result.DocumentsPublished);
        var warning = Assert.Single(worker.Logs.GetSnapshot(), r => r.Id.Name == "ScrapeEndpointFailed");
        Assert.Contains($"{port}", warning.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Otlp_RealJaegerReceiver_GetsOurTraceAndMetricsAndWorkerOutlivesIt()
    {
        server.RequireCli();
        var jaegerPath = TestTools.Require(TestTools.Jaeger, "Jaeger");
        var (grpc, http, query, prometheus) = (TestTools.FreePort(), TestTools.FreePort(), TestTools.FreePort(), TestTools.FreePort());
        var config = Path.Combine(Path.GetTempPath(), $"watchtower-jaeger-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(config, JaegerConfig(grpc, http, query, prometheus), TestContext.Current.CancellationToken);
        var jaeger = ExternalProcess.Start(jaegerPath, ["--config", config]);
        try
        {
            await Eventually.UntilAsync(
                async () => !jaeger.HasExited && await IsUpAsync(new Uri($"http://127.0.0.1:{query}/api/services")),
                up => up,
                "Jaeger's query API to answer");

            var serviceName = "watchtower-e2e-" + Guid.NewGuid().ToString("N")[..8];
            SpanRecorder? spans = null;
            await using var worker = await WorkerHarness.StartAsync(
                server.TargetHost,
                s => spans = SpanRecorder.Attach(s),
                new Dictionary<string, string?>
                {
                    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{grpc}",
                    ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
                    ["OTEL_SERVICE_NAME"] = serviceName,
                    ["OTEL_BSP_SCHEDULE_DELAY"] = "200",

                    // A small queue, so that with the receiver gone it fills and spans are dropped, not kept.
                    ["OTEL_BSP_MAX_QUEUE_SIZE"] = "64",
                    ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "32",
                    ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
                });
            Assert.Contains(worker.Logs.GetSnapshot(), r => r.Id.Name == "OtlpExportEnabled");
            var client = await Monitored.ClientAsync(worker, server.TargetHost);
            ActivityTraceId traceId;
            string workflowId = "otlp-" + Guid.NewGuid().ToString("N");
            using (var root = SpanRecorder.ClientRoot())
            {
                traceId = root.TraceId;
                await client.ExecuteWorkflowAsync((DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)), worker.Options(workflowId));
            }

            var trace = await Eventually.UntilAsync(
                () => JaegerTraceAsync(query, traceId),
                t => t?.Spans.Any(s => s.Name == "RunWorkflow:DocumentPipeline") == true && t.Spans.Any(s => s.Name == "RunActivity:publishDocuments"),
                "Jaeger to hold the pipeline's trace");
            var byId = trace!.Spans.ToDictionary(s => s.SpanId);
            var run = Assert.Single(trace.Spans, s => s.Name == "RunWorkflow:DocumentPipeline");
            Assert.Equal("StartWorkflow:DocumentPipeline", byId[run.ParentId!].Name);
            Assert.All(trace.Spans.Where(s => s.Name == "RunActivity:analyzeDocument"), s => Assert.Equal("StartActivity:analyzeDocument", byId[s.ParentId!].Name));
            Assert.Equal(serviceName, run.Service);

            var scraped = await Eventually.UntilAsync(
                () => Http.GetStringAsync(new Uri($"http://127.0.0.1:{prometheus}/metrics"), TestContext.Current.CancellationToken),
                text => text.Contains(worker.TaskQueue, StringComparison.Ordinal) && text.Contains("watchtower_workflows_closed", StringComparison.Ordinal),
                "Jaeger's Prometheus exporter to show the worker's OTLP metrics");
            Assert.Matches($"watchtower_workflows_started_total\\{{[^}}]*task_queue=\"{worker.TaskQueue}\"[^}}]*\\}} 1", scraped);
            Assert.Contains("temporal_worker_task_slots_available", scraped, StringComparison.Ordinal);

            // The receiver goes away: the worker keeps completing workflows, and the export queues stay bounded.
            await jaeger.DisposeAsync();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (var round = 0; round < 4; round++)
            {
                await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
                    client.ExecuteWorkflowAsync((DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 3, batchSize: 1)), worker.Options($"otlp-down-{round}-{i}-{Guid.NewGuid():N}"))));
            }

            var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
            Assert.True(grown < 64 * 1024 * 1024, $"memory grew by {grown / 1024 / 1024} MB with the receiver down");
            Assert.DoesNotContain(worker.Logs.GetSnapshot(), r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        }
        finally
        {
            await jaeger.DisposeAsync();
            File.Delete(config);
        }
    }

    private static double Value(string body, string name, params string[] labels)
    {
        var total = 0.0;
        var found = false;
        foreach (var line in body.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(l => line.Contains(l, StringComparison.Ordinal)))
            {
                total += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                found = true;
            }
        }

        Assert.True(found, $"no {name} series with {string.Join(", ", labels)}");
        return total;
    }

    private static async Task<bool> IsUpAsync(Uri uri)
    {
        try
        {
            using var response = await Http.GetAsync(uri, TestContext.Current.CancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private sealed record JaegerSpan(string Name, string SpanId, string? ParentId, string Service);

    private sealed record JaegerTrace(IReadOnlyList<JaegerSpan> Spans);

    private static async Task<JaegerTrace?> JaegerTraceAsync(int queryPort, ActivityTraceId traceId)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{queryPort}/api/traces/{traceId.ToHexString()}"), TestContext.Current.CancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        if (json.RootElement.GetProperty("data") is not { ValueKind: JsonValueKind.Array } data || data.GetArrayLength() == 0)
        {
            return null;
        }

        var trace = data[0];
        var processes = trace.GetProperty("processes");
        return new JaegerTrace([.. trace.GetProperty("spans").EnumerateArray().Select(s => new JaegerSpan(
            s.GetProperty("operationName").GetString()!,
            s.GetProperty("spanID").GetString()!,
            s.GetProperty("references").EnumerateArray().Where(r => r.GetProperty("refType").GetString() == "CHILD_OF").Select(r => r.GetProperty("spanID").GetString()).FirstOrDefault(),
            processes.GetProperty(s.GetProperty("processID").GetString()!).GetProperty("serviceName").GetString()!))]);
    }

    /// <summary>Jaeger v2 as an OTLP sink on free ports, its own telemetry off so nothing else binds.</summary>
    private static string JaegerConfig(int grpc, int http, int query, int prometheus) => $$"""
        service:
          extensions: [jaeger_storage, jaeger_query]
          telemetry:
            metrics:
              level: none
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [jaeger_storage_exporter]
            metrics:
              receivers: [otlp]
              exporters: [prometheus]
        extensions:
          jaeger_query:
            storage:
              traces: mem
            http:
              endpoint: 127.0.0.1:{{query}}
            grpc:
              endpoint: 127.0.0.1:{{TestTools.FreePort()}}
          jaeger_storage:
            backends:
              mem:
                memory:
                  max_traces: 10000
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:{{grpc}}
              http:
                endpoint: 127.0.0.1:{{http}}
        exporters:
          jaeger_storage_exporter:
            trace_storage: mem
          prometheus:
            endpoint: 127.0.0.1:{{prometheus}}
        """;
}
