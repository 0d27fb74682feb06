using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Temporalio.Api.Common.V1;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Benchmarks;

/// <summary>
/// The floor under the interceptor's figures: what System.Diagnostics and the OpenTelemetry SDK
/// charge for one span or one measurement on this machine, and what reading our header costs.
/// </summary>
[MemoryDiagnoser]
public class FloorBenchmarks
{
    private static readonly ActivitySource Source = new("Watchtower.Benchmarks.Floor");
    private static readonly Meter Meter = new("Watchtower.Benchmarks.Floor");
    private static readonly Counter<long> Counter = Meter.CreateCounter<long>("floor.counter");
    private static readonly object Local = "false";

    private TracerProvider? tracerProvider;
    private MeterProvider? meterProvider;
    private ActivityContext sampled;
    private ActivityContext unsampled;
    private Payload header = null!;

    [GlobalSetup]
    public void Setup()
    {
        tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(Source.Name).Build();
        meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(Meter.Name)
            .AddReader(new PeriodicExportingMetricReader(
                new DiscardingExporter<Metric>(),
                exportIntervalMilliseconds: 60_000))
            .Build();
        sampled = new ActivityContext(
            ActivityTraceId.CreateRandom(),
            ActivitySpanId.CreateRandom(),
            ActivityTraceFlags.Recorded,
            isRemote: true);
        unsampled = new ActivityContext(
            ActivityTraceId.CreateRandom(),
            ActivitySpanId.CreateRandom(),
            ActivityTraceFlags.None,
            isRemote: true);
        header = TraceHeader.Create(sampled, null);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        tracerProvider?.Dispose();
        meterProvider?.Dispose();
    }

    [Benchmark]
    public void SpanUnderUnsampledParent()
    {
        using var span = Source.StartActivity("RunActivity:x", ActivityKind.Server, unsampled);
    }

    [Benchmark]
    public void SpanUnderSampledParent()
    {
        using var span = Source.StartActivity("RunActivity:x", ActivityKind.Server, sampled);
    }

    [Benchmark]
    public bool ReadTraceHeader() => TraceHeader.TryParse(header, out _);

    /// <summary>What every call a workflow or client makes pays to carry its context: the header's payload.</summary>
    [Benchmark]
    public Payload WriteTraceHeader() => TraceHeader.Create(sampled, null);

    [Benchmark]
    public void CounterWithFiveTags() => Counter.Add(1, new TagList
    {
        { "namespace", "default" },
        { "task_queue", "bench" },
        { "activity_type", "analyzeDocument" },
        { "local", Local },
        { "outcome", "completed" },
    });

    /// <summary>
    /// The same without the worker's constants (namespace, task queue): what keeping them out of each recording would
    /// save. OpenTelemetry .NET does not export an instrument's own tags, so they cannot move there.
    /// </summary>
    [Benchmark]
    public void CounterWithoutWorkerConstants() => Counter.Add(1, new TagList
    {
        { "activity_type", "analyzeDocument" },
        { "local", Local },
        { "outcome", "completed" },
    });
}
