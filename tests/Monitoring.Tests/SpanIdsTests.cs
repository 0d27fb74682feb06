using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring.Tests;

public sealed class SpanIdsTests
{
    [Fact]
    public void SpanIds_SameRunKindAndSequence_SameIdEveryTime()
    {
        var runId = Guid.NewGuid().ToString();

        Assert.Equal(SpanIds.ForSpan(runId, "RunWorkflow", 0), SpanIds.ForSpan(runId, "RunWorkflow", 0));
        Assert.Equal(
            SpanIds.ForSpan(runId, "HandleUpdate", "update-1"),
            SpanIds.ForSpan(runId, "HandleUpdate", "update-1"));
        Assert.Equal(SpanIds.ForRootTrace(runId), SpanIds.ForRootTrace(runId));
    }

    [Fact]
    public void SpanIds_DifferentRunKindOrSequence_Distinct()
    {
        var runs = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid().ToString()).ToList();
        var ids = runs.SelectMany(run => Enumerable.Range(0, 40).Select(i => SpanIds.ForSpan(run, "Outbound", i))
            .Concat([
                SpanIds.ForSpan(run, "RunWorkflow", 0),
                SpanIds.ForSpan(run, "HandleSignal", 1),
                SpanIds.ForSpan(run, "HandleUpdate", "1"),
            ]))
            .ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(default, ids);
        Assert.Equal(runs.Count, runs.Select(SpanIds.ForRootTrace).Distinct().Count());
    }

    [Fact]
    public void ActivityIdOverride_ThisRuntime_Supported()
    {
        Assert.Null(ActivityIdOverride.Unsupported);
        var activity = new Activity("x");
        activity.SetIdFormat(ActivityIdFormat.W3C);
        activity.Start();
        var span = ActivitySpanId.CreateRandom();
        var trace = ActivityTraceId.CreateRandom();

        ActivityIdOverride.Set(activity, span, trace);

        Assert.Equal(span, activity.SpanId);
        Assert.Equal(trace, activity.TraceId);
        Assert.Equal($"00-{trace}-{span}-00", activity.Id);
        activity.Stop();
    }

    [Fact]
    public void RootTraceIds_TraceIdRatioSampler_DecidesOnTheRunsOwnTraceIdSoEveryReplayAgrees()
    {
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(MonitoringNames.ActivitySourceName)
            .SetSampler(new TraceIdRatioBasedSampler(0.5))
            .Build();
        var sampler = new TraceIdRatioBasedSampler(0.5);
        var sampled = 0;

        for (var i = 0; i < 200; i++)
        {
            var traceId = SpanIds.ForRootTrace(Guid.NewGuid().ToString());
            var expected = sampler
                .ShouldSample(new SamplingParameters(default, traceId, "RunWorkflow:X", ActivityKind.Server))
                .Decision == SamplingDecision.RecordAndSample;

            var first = RootTraceIds.CreateRoot("RunWorkflow:X", ActivityKind.Server, traceId);
            var second = RootTraceIds.CreateRoot("RunWorkflow:X", ActivityKind.Server, traceId);

            Assert.Equal(expected, first?.Recorded == true);
            Assert.Equal(expected, second?.Recorded == true);
            if (first is not null)
            {
                Assert.Equal(traceId, first.TraceId);
            }

            sampled += expected ? 1 : 0;
        }

        Assert.InRange(sampled, 50, 150);
    }
}
