using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// A tracer whose processing stops (an exporter that never answers behind a synchronous processor) holds up the
/// workflow spans waiting for the thread pool, never the workflows, and never holds more of them than the bound.
/// Runs alone: the bound and the queue are process-wide, and the stuck processor holds up every worker's spans.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class SpanQueueBoundTests(DevServerFixture server)
{
    private const int Bound = 3;

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task WorkflowSpans_ProcessingStops_QueueStaysBoundedSaidOnceAndWorkflowsComplete()
    {
        server.RequireCli();
        using var processing = new ManualResetEventSlim();
        var reached = new ConcurrentQueue<(string Name, ActivityTraceId Trace)>();
        var bound = TracingInterceptor.MaxQueuedSpans;
        TracingInterceptor.MaxQueuedSpans = Bound;
        try
        {
            await using var worker = await WorkerHarness.StartAsync(
                server.TargetHost,
                s =>
                {
                    SpanRecorder.Attach(s);
                    s.ConfigureOpenTelemetryTracerProvider(
                        b => b.AddProcessor(new StuckProcessor(processing, reached)));
                });
            var client = await Monitored.ClientAsync(worker, server.TargetHost);

            var stuck = await RunPipelineAsync(client, worker, "stuck-");
            await worker.WaitForLogAsync(
                "TelemetryFailed",
                "the worker to say that workflow spans are dropped",
                match: r => r.Message.Contains("wait for the exporter", StringComparison.Ordinal));
            processing.Set();
            Assert.True(TracingInterceptor.WaitForQueuedSpans(TimeSpan.FromSeconds(30)), "the queue did not drain");
            var flowing = await RunPipelineAsync(client, worker, "flowing-");
            await Eventually.WaitAsync(
                () => reached.Any(s => s.Trace == flowing && s.Name == "RunWorkflow:DocumentPipeline"),
                "the second pipeline's run span");

            // The pipeline (3 runs, 2 child starts, 3 activity starts: 8 workflow spans) completed while its spans
            // waited; of those only the bound reached the processor (a few more when runs on other threads looked
            // at the backlog at the same moment). Once processing went on, the next pipeline's all did, and the
            // drop was said once.
            int Reached(ActivityTraceId trace) =>
                reached.Count(s => s.Trace == trace && SpanRecorder.IsWorkflowSpan(s.Name));
            Assert.InRange(Reached(stuck), Bound, Bound + 3);
            Assert.Equal(8, Reached(flowing));
            Assert.Equal(1, worker.Count("TelemetryFailed"));
        }
        finally
        {
            processing.Set();
            TracingInterceptor.MaxQueuedSpans = bound;
        }
    }

    private static async Task<ActivityTraceId> RunPipelineAsync(
        TemporalClient client, WorkerHarness worker, string idPrefix)
    {
        var (trace, result) = await Monitored.RunTracedPipelineAsync(client, worker, idPrefix);
        Assert.Equal(2, result.DocumentsPublished);
        return trace;
    }

    /// <summary>
    /// Holds every workflow span at its start until processing is let go (at most a minute, so a failed test cannot
    /// hang the run), as a synchronous processor does whose exporter stopped answering; notes each span it sees.
    /// Activity spans pass: they start on the activity's own thread, which this must not hold.
    /// </summary>
    private sealed class StuckProcessor(
        ManualResetEventSlim processing, ConcurrentQueue<(string, ActivityTraceId)> reached) : BaseProcessor<Activity>
    {
        public override void OnStart(Activity data)
        {
            if (SpanRecorder.IsWorkflowSpan(data.DisplayName))
            {
                processing.Wait(TimeSpan.FromMinutes(1));
            }

            reached.Enqueue((data.DisplayName, data.TraceId));
        }
    }
}
