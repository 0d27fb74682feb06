using System.Diagnostics;
using System.Diagnostics.Metrics;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Monitoring;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// Telemetry that throws (a broken span or metric listener) costs the telemetry, never the call: client
/// starts, signals and queries succeed and workflows complete. Runs alone: the listeners are process-wide.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class TelemetryFailureTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task MonitoredClientAndWorker_ListenersThatThrow_CallsSucceedAndWorkflowsComplete()
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        using var spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MonitoringNames.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = _ => throw new InvalidOperationException("span listener broken on start"),
            ActivityStopped = _ => throw new InvalidOperationException("span listener broken on stop"),
        };
        ActivitySource.AddActivityListener(spans);
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MonitoringNames.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        metrics.SetMeasurementEventCallback<long>((_, _, _, _) => throw new InvalidOperationException("meter broken"));
        metrics.SetMeasurementEventCallback<double>(
            (_, _, _, _) => throw new InvalidOperationException("meter broken"));
        metrics.Start();

        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        var input = Documents.Pipeline(documents: 2, batchSize: 1, reviewWindowSeconds: 600);
        var handle = await client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("broken-telemetry-" + Guid.NewGuid()));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress), p => p.Stage == PipelineStage.AwaitingReview, "AwaitingReview");
        await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "alice")));
        var result = await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);

        Assert.Equal(2, result.DocumentsPublished);
        Assert.Contains(worker.Logs.GetSnapshot(), r => r.Id.Name == "TelemetryFailed");
    }
}
