using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

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
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: new Dictionary<string, string?>
            {
                ["Monitoring:Enabled"] = "true",
                ["MONITORING_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            });
        var id = "scraped-" + Guid.NewGuid().ToString("N");
        var input = JsonSerializer.Serialize(
            Documents.Pipeline(documents: 2, batchSize: 1),
            Watchtower.Workflows.PipelineDataConverter.SerializerOptions);
        var executed = await cli.RunAsync(
            "workflow", "execute", "--type", "DocumentPipeline", "--task-queue", worker.TaskQueue,
            "--workflow-id", id, "--input", input);
        Assert.True(executed.ExitCode == 0, executed.ToString());
        GC.Collect();

        var queue = $"task_queue=\"{worker.TaskQueue}\"";

        // Runs are measured on the thread pool, in order: the parent's close is the last of them.
        var body = await Eventually.UntilAsync(
            () => Http.GetStringAsync(
                new Uri($"http://127.0.0.1:{port}/metrics"),
                TestContext.Current.CancellationToken),
            text => ShowsPipeline(text, "watchtower_workflows_closed_total", queue)
                && ShowsPipeline(text, "watchtower_workflow_duration_seconds_count", queue),
            "the scrape to show the closed workflow");
        Assert.Equal(1, Value(body, "watchtower_workflows_started_total", queue, "workflow_type=\"DocumentPipeline\""));
        Assert.Equal(1, Value(
            body,
            "watchtower_workflows_closed_total",
            queue,
            "workflow_type=\"DocumentPipeline\"",
            "outcome=\"completed\""));
        Assert.Equal(2, Value(
            body,
            "watchtower_workflows_closed_total",
            queue,
            "workflow_type=\"DocumentBatch\"",
            "outcome=\"completed\""));
        Assert.Equal(2, Value(
            body,
            "watchtower_activity_duration_seconds_count",
            queue,
            "activity_type=\"analyzeDocument\"",
            "outcome=\"completed\"",
            "local=\"false\""));
        Assert.Equal(1, Value(
            body, "watchtower_workflow_duration_seconds_count", queue, "workflow_type=\"DocumentPipeline\""));
        Assert.Equal(1, Value(
            body,
            "watchtower_workflow_duration_seconds_bucket",
            queue,
            "workflow_type=\"DocumentPipeline\"",
            "le=\"+Inf\""));
        Assert.Contains("watchtower_activity_duration_seconds_bucket{", body, StringComparison.Ordinal);
        Assert.Contains("le=\"0.005\"", body, StringComparison.Ordinal);
        Assert.Contains("le=\"3600\"", body, StringComparison.Ordinal);
        Assert.Equal(2, Value(
            body, "watchtower_activity_allocated_bytes_count", queue, "activity_type=\"analyzeDocument\""));
        Assert.Equal(2, Value(
            body,
            "watchtower_activity_allocated_bytes_bucket",
            queue,
            "activity_type=\"analyzeDocument\"",
            "le=\"1073741824\""));
        Assert.True(Value(body, "temporal_worker_task_slots_available", queue) > 0, "the SDK's slot gauge is bridged");
        Assert.True(
            Value(body, "temporal_workflow_task_schedule_to_start_latency_seconds_count", queue) > 0,
            "the SDK's latency histograms are bridged, in seconds");
        Assert.Contains("temporal_request_total{", body, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total{", body, StringComparison.Ordinal);
        Assert.Matches("target_info\\{[^}]*service_name=\"watchtower-worker\"", body);
        Assert.DoesNotContain(id, body, StringComparison.Ordinal);

        var localhost = await Http.GetAsync(
            new Uri($"http://localhost:{port}/metrics"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, localhost.StatusCode);
        var elsewhere = await Http.GetAsync(
            new Uri($"http://127.0.0.1:{port}/other"),
            TestContext.Current.CancellationToken);
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
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: new Dictionary<string, string?>
            {
                ["Monitoring:Enabled"] = "true",
                ["Monitoring:Port"] = port.ToString(CultureInfo.InvariantCulture),
            });

        var result = await server.Client.ExecuteWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 1)),
            worker.Options("portless-" + Guid.NewGuid()));

        Assert.Equal(1, result.DocumentsPublished);
        var warning = Assert.Single(worker.Logs.GetSnapshot(), r => r.Id.Name == "ScrapeEndpointFailed");
        Assert.Contains($"{port}", warning.Message, StringComparison.Ordinal);
    }

    private static bool ShowsPipeline(string body, string name, string queue) =>
        Series(body, name, queue, "workflow_type=\"DocumentPipeline\"").Any();

    private static double Value(string body, string name, params string[] labels)
    {
        var lines = Series(body, name, labels).ToList();
        Assert.True(lines.Count > 0, $"no {name} series with {string.Join(", ", labels)}");
        return lines.Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>The scrape's lines of <paramref name="name"/> with every one of <paramref name="labels"/>.</summary>
    private static IEnumerable<string> Series(string body, string name, params string[] labels) =>
        body.Split('\n').Where(line => line.StartsWith(name + "{", StringComparison.Ordinal)
            && labels.All(l => line.Contains(l, StringComparison.Ordinal)));
}
