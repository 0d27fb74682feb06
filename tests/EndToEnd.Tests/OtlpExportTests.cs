using System.Diagnostics;
using System.Text.Json;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Documents;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// OTLP export to a real receiver, and the worker outliving it. Runs alone: whether the export
/// queues stay bounded is judged by the process's heap, which parallel tests would move.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class OtlpExportTests(DevServerFixture server)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

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
                async () => !jaeger.HasExited && await TestTools.AnswersAsync(new Uri($"http://127.0.0.1:{query}/api/services")),
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
