using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Monitoring.Hosting.TaskQueueBacklog;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>Tasks waiting on a queue no worker polls: only the server can count them.</summary>
public sealed class TaskQueueBacklogTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task TaskQueueBacklog_RunsOnAQueueNobodyPolls_GaugeCountsThemAndTheirAge()
    {
        server.RequireCli();
        using var gauge = new MetricCollector<double>(
            Watchtower.Monitoring.Hosting.HostingTelemetry.Meter, "watchtower.task_queue.backlog");
        using var age = new MetricCollector<double>(
            Watchtower.Monitoring.Hosting.HostingTelemetry.Meter, "watchtower.task_queue.backlog_age");
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: new Dictionary<string, string?> { ["Monitoring:TaskQueueBacklogInterval"] = "00:00:01" });
        var unpolled = "unpolled-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 3; i++)
        {
            await server.Client.StartWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 1)),
                new WorkflowOptions($"backlog-{i}-{Guid.NewGuid():N}", unpolled) { Rpc = WorkerHarness.Rpc });
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var watching = worker.Host.Services.GetRequiredService<TaskQueueBacklogMonitor>()
            .RunAsync(server.Client, unpolled, stop.Token);

        var waiting = await Eventually.UntilAsync(
            () => Task.FromResult(Observed(gauge, unpolled, "workflow")),
            n => n == 3,
            "the backlog gauge to count the three workflow tasks nobody polls");
        var oldest = await Eventually.UntilAsync(
            () => Task.FromResult(Observed(age, unpolled, "workflow")),
            seconds => seconds > 0,
            "the backlog age to show the oldest task's wait");

        // The worker watches its own queue too, which it keeps empty.
        var own = await Eventually.UntilAsync(
            () => Task.FromResult(Observed(gauge, worker.TaskQueue, "workflow")),
            n => n is not null,
            "the backlog gauge for the worker's own task queue");
        await stop.CancelAsync();
        await watching.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal((3.0, 0.0), (waiting, own));
        Assert.InRange(oldest!.Value, 0.001, TimeSpan.FromMinutes(5).TotalSeconds);
        Assert.Equal(0, Observed(gauge, unpolled, "activity"));
    }

    private static double? Observed(MetricCollector<double> collector, string taskQueue, string type)
    {
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot()
            .LastOrDefault(m => m.Tags["task_queue"] as string == taskQueue
                && m.Tags["task_queue_type"] as string == type)
            ?.Value;
    }
}
