using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Faults;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// No caller data in telemetry: the built worker runs pipelines whose every caller-chosen value (name,
/// document ids, titles, contents, reviewer, comment) carries a marker, through success, invalid input,
/// undecodable input, a rejected update and a malformed signal; the marker is then looked for in the spans
/// Jaeger received, the worker's log lines and its scrape.
/// </summary>
public sealed class CallerDataTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Worker_RunsFullOfCallerData_NoneOfItInSpansLogsOrScrape()
    {
        server.RequireCli();
        var marker = "sekrit" + Guid.NewGuid().ToString("N")[..8];
        var service = "caller-data-" + Guid.NewGuid().ToString("N")[..8];
        await using var jaeger = await JaegerServer.StartAsync();
        await using var worker = await WorkerProcess.StartAsync(
            server.TargetHost,
            "caller-data-" + Guid.NewGuid().ToString("N"),
            settings: new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = jaeger.OtlpGrpcEndpoint,
                ["OTEL_SERVICE_NAME"] = service,
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            });
        var client = await TemporalClient.ConnectAsync(
            new(server.TargetHost) { DataConverter = PipelineDataConverter.Instance });
        var options = (string name) => new WorkflowOptions($"{name}-{Guid.NewGuid():N}", worker.TaskQueue);
        DocumentInput Document(int i) => new($"{marker}-id-{i}", $"{marker} title {i}", $"{marker} content {i}");

        var reviewed = new DocumentPipelineInput(
            $"{marker}-name", [Document(1), Document(2)], BatchSize: 1, ReviewWindowSeconds: 600);
        var approved = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(reviewed), options("caller-data-ok"));
        await Eventually.UntilAsync(
            () => approved.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "AwaitingReview");
        await approved.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(null, $"{marker}-signal-reviewer")));
        await approved.ExecuteUpdateAsync(
            wf => wf.DecideAsync(new ReviewDecision(true, $"{marker}-reviewer", $"{marker} comment")));
        await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => approved.ExecuteUpdateAsync(
            wf => wf.DecideAsync(new ReviewDecision(false, $"{marker}-late-reviewer", $"{marker} late"))));
        await approved.GetResultAsync();

        var repeated = new DocumentPipelineInput($"{marker}-name", [Document(1), Document(1)]);
        var duplicate = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(repeated), options("caller-data-invalid"));
        await Assert.ThrowsAsync<WorkflowFailedException>(() => duplicate.GetResultAsync());

        var undecodable = new Payload
        {
            Metadata = { ["encoding"] = ByteString.CopyFromUtf8("json/plain") },
            Data = ByteString.CopyFromUtf8($$"""{"name":{"{{marker}}":1},"documents":"{{marker}}"}"""),
        };
        var garbled = await client.StartWorkflowAsync(
            "DocumentPipeline", [new RawValue(undecodable)], options("caller-data-undecodable"));
        await Assert.ThrowsAsync<WorkflowFailedException>(() => garbled.GetResultAsync());

        var spans = await Eventually.UntilAsync(
            () => jaeger.RawTracesAsync(service),
            raw => raw.Contains(approved.Id, StringComparison.Ordinal)
                && raw.Contains(duplicate.Id, StringComparison.Ordinal)
                && raw.Contains(garbled.Id, StringComparison.Ordinal)
                && raw.Contains("RunActivity:publishDocuments", StringComparison.Ordinal),
            "Jaeger to hold the spans of all three runs");
        await worker.WaitForEventAsync("ReviewIgnored", "the malformed review signal to be logged");
        var logs = string.Join('\n', worker.LogLines().Select(l => l.GetRawText()));
        var scrape = await worker.ScrapeAsync();

        // Not vacuous: the identifiers that find a run are there, the data is not.
        Assert.Contains(approved.Id, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, spans, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, scrape, StringComparison.Ordinal);
    }
}
