using System.Diagnostics;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// OTLP export to a real receiver, and the worker outliving it. Runs alone: whether the export
/// queues stay bounded is judged by the process's heap, which parallel tests would move.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class OtlpExportTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Otlp_RealJaegerReceiver_GetsOurTraceAndMetricsAndWorkerOutlivesIt()
    {
        server.RequireCli();
        var jaeger = await JaegerServer.StartAsync();
        try
        {
            var serviceName = "watchtower-e2e-" + Guid.NewGuid().ToString("N")[..8];
            SpanRecorder? spans = null;
            await using var worker = await WorkerHarness.StartAsync(
                server.TargetHost,
                s => spans = SpanRecorder.Attach(s),
                new Dictionary<string, string?>
                {
                    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = jaeger.OtlpGrpcEndpoint,
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
                await client.ExecuteWorkflowAsync(
                    (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
                    worker.Options(workflowId));
            }

            var trace = await Eventually.UntilAsync(
                () => jaeger.TraceAsync(traceId),
                t => t?.Spans.Any(s => s.Name == "RunWorkflow:DocumentPipeline") == true
                    && t.Spans.Any(s => s.Name == "RunActivity:publishDocuments"),
                "Jaeger to hold the pipeline's trace");
            var byId = trace!.Spans.ToDictionary(s => s.SpanId);
            var run = Assert.Single(trace.Spans, s => s.Name == "RunWorkflow:DocumentPipeline");
            Assert.Equal("StartWorkflow:DocumentPipeline", byId[run.ParentId!].Name);
            Assert.All(
                trace.Spans.Where(s => s.Name == "RunActivity:analyzeDocument"),
                s => Assert.Equal("StartActivity:analyzeDocument", byId[s.ParentId!].Name));
            Assert.Equal(serviceName, run.Service);

            var scraped = await Eventually.UntilAsync(
                jaeger.MetricsAsync,
                text => text.Contains(worker.TaskQueue, StringComparison.Ordinal)
                    && text.Contains("watchtower_workflows_closed", StringComparison.Ordinal),
                "Jaeger's Prometheus exporter to show the worker's OTLP metrics");
            Assert.Matches(
                $"watchtower_workflows_started_total\\{{[^}}]*task_queue=\"{worker.TaskQueue}\"[^}}]*\\}} 1",
                scraped);
            Assert.Contains("temporal_worker_task_slots_available", scraped, StringComparison.Ordinal);

            // The receiver goes away: the worker keeps completing workflows, and the export queues stay bounded.
            await jaeger.DisposeAsync();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (var round = 0; round < 4; round++)
            {
                await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
                    client.ExecuteWorkflowAsync(
                        (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 3, batchSize: 1)),
                        worker.Options($"otlp-down-{round}-{i}-{Guid.NewGuid():N}"))));
            }

            var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
            Assert.True(grown < 64 * 1024 * 1024, $"memory grew by {grown / 1024 / 1024} MB with the receiver down");
            Assert.DoesNotContain(
                worker.Logs.GetSnapshot(),
                r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        }
        finally
        {
            await jaeger.DisposeAsync();
        }
    }
}
