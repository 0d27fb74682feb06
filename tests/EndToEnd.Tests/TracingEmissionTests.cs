using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests;

/// <summary>Where and how often the work of a workflow span is done, which is what it costs a workflow.</summary>
public sealed class TracingEmissionTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task WorkflowSpans_PipelineRun_EndedOnThreadPoolThreadsNotTheWorkflowsOwn()
    {
        var ended = new ConcurrentQueue<(string Name, ActivityTraceId Trace, bool OnPool)>();
        var trace = await RunPipelineAsync("emitted-", b => b.AddProcessor(new EndWatcher(ended)));

        bool IsWorkflowSpan((string Name, ActivityTraceId Trace, bool OnPool) s) =>
            s.Trace == trace && SpanRecorder.IsWorkflowSpan(s.Name);
        await Eventually.WaitAsync(
            () => ended.Count(s => IsWorkflowSpan(s) && s.Name == "RunWorkflow:DocumentPipeline") == 1,
            "the parent's RunWorkflow span to end");
        var spans = ended.Where(IsWorkflowSpan).ToList();

        // 3 runs, 2 child starts and the activities the runs started (at least one each).
        Assert.True(spans.Count >= 8, $"{spans.Count} workflow spans: {string.Join(", ", spans.Select(s => s.Name))}");
        Assert.All(spans, s => Assert.True(s.OnPool, $"{s.Name} ended on a thread the SDK started for the workflow"));
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task RunWorkflowSpan_RunKeptInTheCache_SamplerAskedOnce()
    {
        var asked = new ConcurrentQueue<(string Name, ActivityTraceId Trace)>();
        var trace = await RunPipelineAsync("sampled-once-", b => b.SetSampler(new CountingSampler(asked)));
        int Asked(string name) => asked.Count(a => a.Trace == trace && a.Name == name);
        await Eventually.WaitAsync(() => Asked("RunWorkflow:DocumentBatch") >= 2, "both batches' runs sampled");

        // Asked when the run started, to know what its calls carry; the span it made then is the one exported.
        Assert.Equal(1, Asked("RunWorkflow:DocumentPipeline"));
        Assert.Equal(2, Asked("RunWorkflow:DocumentBatch"));
    }

    /// <summary>
    /// Runs a parent with two batches (the parent's and the children's runs, their starts and their activities) to its
    /// end, under a client-side root span, on a worker whose tracer is set up as given; the trace it ran in.
    /// </summary>
    private async Task<ActivityTraceId> RunPipelineAsync(string idPrefix, Action<TracerProviderBuilder> tracer)
    {
        server.RequireCli();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            s =>
            {
                SpanRecorder.Attach(s);
                s.ConfigureOpenTelemetryTracerProvider(tracer);
            });
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        var (trace, _) = await Monitored.RunTracedPipelineAsync(client, worker, idPrefix);
        return trace;
    }

    /// <summary>Notes, for every span that ends, whether it ended on a thread pool thread.</summary>
    private sealed class EndWatcher(ConcurrentQueue<(string, ActivityTraceId, bool)> ended) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) =>
            ended.Enqueue((data.DisplayName, data.TraceId, Thread.CurrentThread.IsThreadPoolThread));
    }

    /// <summary>Samples everything, noting each question it is asked.</summary>
    private sealed class CountingSampler(ConcurrentQueue<(string, ActivityTraceId)> asked) : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            asked.Enqueue((samplingParameters.Name, samplingParameters.TraceId));
            return new SamplingResult(SamplingDecision.RecordAndSample);
        }
    }
}
