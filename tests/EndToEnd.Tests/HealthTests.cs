using System.Globalization;
using System.Net;
using System.Text.Json;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

public sealed class HealthTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task HealthEndpoints_PollingWorker_LiveStartupReadyAnswerWithEachCheckBesideMetrics()
    {
        server.RequireCli();
        var port = TestTools.FreePort();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: new Dictionary<string, string?>
            {
                ["Monitoring:Enabled"] = "true",
                ["Monitoring:Port"] = port.ToString(CultureInfo.InvariantCulture),
            });
        var health = new HealthProbe(port);

        var live = await health.GetAsync("live");
        var startup = await health.WaitForAsync("startup", 200, "startup once the worker polls");
        var ready = await health.WaitForAsync("ready", 200, "readiness once the worker polls");

        Assert.Equal(200, live.Status);
        Assert.Equal("Healthy", Status(live.Body));
        Assert.Equal(["temporal-startup"], Checks(startup.Body));
        Assert.Equal(
            ["dispatcher-attachment", "dispatchers", "memory", "monitors", "temporal"],
            Checks(ready.Body).Order(StringComparer.Ordinal));
        Assert.Contains("connected and polling", ready.Body, StringComparison.Ordinal);

        using var http = new HttpClient();
        using var metrics = await http.GetAsync(
            new Uri($"http://127.0.0.1:{port}/metrics"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(404, (await health.GetAsync("nothing")).Status);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task HealthEndpoints_AfterRunsCompleteFailAndWait_SayInFlightLastCompletionAndFailureRatio()
    {
        server.RequireCli();
        var port = TestTools.FreePort();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: new Dictionary<string, string?>
            {
                ["Monitoring:Port"] = port.ToString(CultureInfo.InvariantCulture),
            });
        var health = new HealthProbe(port);
        var before = await health.WaitForAsync("ready", 200, "readiness once the worker polls");
        Assert.Equal(
            (0, JsonValueKind.Null, JsonValueKind.Null),
            (Workflows(before.Body).GetProperty("in_flight").GetInt32(),
                Workflows(before.Body).GetProperty("last_completed_at").ValueKind,
                Workflows(before.Body).GetProperty("recent_failure_ratio").ValueKind));

        // Two pipelines complete (each with one batch child), one fails on its input, one waits for review.
        foreach (var i in new[] { 1, 2 })
        {
            await server.Client.ExecuteWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 1, batchSize: 1)),
                worker.Options($"health-ok-{i}-{Guid.NewGuid():N}"));
        }

        await Assert.ThrowsAsync<Temporalio.Exceptions.WorkflowFailedException>(() =>
            server.Client.ExecuteWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 0, batchSize: 1)),
                worker.Options("health-bad-" + Guid.NewGuid().ToString("N"))));
        var waiting = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(
                Documents.Pipeline(documents: 1, batchSize: 1, reviewWindowSeconds: 600)),
            worker.Options("health-waiting-" + Guid.NewGuid().ToString("N")));
        await Eventually.UntilAsync(
            () => waiting.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "the waiting pipeline to reach its review");

        var workflows = Workflows((await health.GetAsync("ready")).Body);

        Assert.Equal(1, workflows.GetProperty("in_flight").GetInt32());
        Assert.Equal((6, 1), (workflows.GetProperty("recent_ended").GetInt32(),
            workflows.GetProperty("recent_failed").GetInt32()));
        Assert.Equal(1.0 / 6, workflows.GetProperty("recent_failure_ratio").GetDouble(), 4);
        Assert.Equal(600, workflows.GetProperty("recent_window_seconds").GetDouble());
        var last = DateTimeOffset.Parse(
            workflows.GetProperty("last_completed_at").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow - last, TimeSpan.Zero, TimeSpan.FromMinutes(2));
        await waiting.CancelAsync();
    }

    private static JsonElement Workflows(string body)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("workflows").Clone();
    }

    private static string Status(string body)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("status").GetString()!;
    }

    private static string[] Checks(string body)
    {
        using var json = JsonDocument.Parse(body);
        return [.. json.RootElement.GetProperty("checks").EnumerateObject().Select(p => p.Name)];
    }
}
