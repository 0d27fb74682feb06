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
            var settings = jaeger.ExportSettings(serviceName);

            // A small queue, so that with the receiver gone it fills and spans are dropped, not kept.
            settings["OTEL_BSP_MAX_QUEUE_SIZE"] = "64";
            settings["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "32";
            settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
            await using var worker = await WorkerHarness.StartAsync(
                server.TargetHost, s => spans = SpanRecorder.Attach(s), settings);
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
            await worker.WaitForLogAsync("OtlpExportFailing", "a warning that export to the receiver fails");
            Assert.DoesNotContain(
                worker.Logs.GetSnapshot(),
                r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        }
        finally
        {
            await jaeger.DisposeAsync();
        }
    }

    /// <summary>
    /// A collector that accepts connections and never answers: workflows do not wait for it, the failure is
    /// counted, warned about once and shown in readiness, and stopping takes no longer for it.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Otlp_CollectorThatNeverAnswers_CountedWarnedOnceDegradedAndShutdownBounded()
    {
        server.RequireCli();
        using var silent = new SilentCollector();
        var monitoringPort = TestTools.FreePort();
        var worker = await WorkerHarness.StartAsync(
            server.TargetHost, settings: OtlpSettings(silent.Endpoint, monitoringPort));
        try
        {
            var client = await Monitored.ClientAsync(worker, server.TargetHost);
            await RunPipelinesAsync(client, worker, "otlp-silent", count: 10);
            await Eventually.UntilAsync(
                () => Task.FromResult(silent.Connections),
                n => n > 0,
                "the exporter to connect to the silent collector");

            await worker.WaitForLogAsync(
                "OtlpExportFailing",
                "a warning that export to the silent collector fails",
                match: r => r.Message.Contains("no answer in time", StringComparison.Ordinal));
            var ready = await new HealthProbe(monitoringPort).WaitForAsync(
                "ready", 200, "readiness to stay up while export fails");
            Assert.Contains("not working: otlp", ready.Body, StringComparison.Ordinal);
            var scrape = await TestTools.ScrapeAsync(monitoringPort);
            Assert.Matches("watchtower_otlp_exports_total\\{[^}]*outcome=\"failure\"[^}]*\\} [1-9]", scrape);
            Assert.Matches("watchtower_monitoring_status\\{[^}]*monitor=\"otlp\"[^}]*\\} 0", scrape);
            await RunPipelinesAsync(client, worker, "otlp-silent-more", count: 10);
            // At most once a minute: a second one only if this test ran past a minute since the first.
            Assert.InRange(worker.Count("OtlpExportFailing"), 1, 2);
        }
        finally
        {
            var stopping = Stopwatch.StartNew();
            await worker.DisposeAsync();
            stopping.Stop();

            // Idle, the worker itself stops at once; what is left is the export flush and its bound.
            Assert.True(
                stopping.Elapsed < TimeSpan.FromSeconds(8),
                $"stopping took {stopping.Elapsed.TotalSeconds:F1} s with a collector that never answers");
        }
    }

    /// <summary>
    /// A collector not yet listening, then started on that port: export recovers, and so does the status.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Otlp_CollectorDownThenUp_DegradedThenRecoveredWithOneLineEach()
    {
        server.RequireCli();
        var port = TestTools.FreePort();
        var monitoringPort = TestTools.FreePort();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost, settings: OtlpSettings($"http://127.0.0.1:{port}", monitoringPort));
        var health = new HealthProbe(monitoringPort);
        await worker.WaitForLogAsync(
            "OtlpExportFailing",
            "a warning that nothing listens for OTLP",
            match: r => r.Message.Contains("ConnectionError", StringComparison.Ordinal));
        Assert.Contains("not working: otlp", (await health.GetAsync("ready")).Body, StringComparison.Ordinal);

        await using var jaeger = await JaegerServer.StartAsync(grpcPort: port);
        await worker.WaitForLogAsync("OtlpExportRecovered", "a line saying export works again");
        var ready = await Eventually.UntilAsync(
            () => health.GetAsync("ready"),
            r => !r.Body.Contains("otlp", StringComparison.Ordinal),
            "readiness to drop the otlp degradation");
        Assert.Equal(200, ready.Status);
    }

    private static Dictionary<string, string?> OtlpSettings(string endpoint, int monitoringPort) =>
        new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["Monitoring:Enabled"] = "true",
            ["Monitoring:Port"] = monitoringPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

    private static Task<DocumentPipelineResult[]> RunPipelinesAsync(
        TemporalClient client, WorkerHarness worker, string prefix, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(i => client.ExecuteWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
            worker.Options($"{prefix}-{i}-{Guid.NewGuid():N}"))));
}
