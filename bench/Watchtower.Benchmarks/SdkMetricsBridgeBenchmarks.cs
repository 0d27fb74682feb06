using BenchmarkDotNet.Attributes;
using OpenTelemetry.Metrics;
using Temporalio.Runtime;
using Watchtower.Monitoring;

namespace Watchtower.Benchmarks;

/// <summary>
/// The SDK metrics bridge as Core drives it: a label set for each task (the worker's set extended with the task's
/// type), then a recording with it. What Core's own marshalling allocates before it calls us (fresh strings, its
/// array) is outside these figures: it is the same with any meter.
/// </summary>
[MemoryDiagnoser]
public class SdkMetricsBridgeBenchmarks
{
    private MeterProvider? meterProvider;
    private ICustomMetricMeter meter = null!;
    private ICustomMetricCounter<long> counter = null!;
    private ICustomMetricHistogram<double> histogram = null!;
    private ICustomMetricGauge<long> gauge = null!;
    private object workerTags = null!;
    private object taskTags = null!;
    private KeyValuePair<string, object>[] taskType = null!;

    [GlobalSetup]
    public void Setup()
    {
        meterProvider = BenchmarkMeters.Create();
        meter = TemporalSdkMetrics.CreateMetricsOptions().CustomMetricMeter!;
        counter = meter.CreateCounter<long>("bench_activity_execution_failed", null, null);
        histogram = meter.CreateHistogram<double>("bench_activity_execution_latency", "duration", null);
        gauge = meter.CreateGauge<long>("bench_worker_task_slots_available", null, null);
        workerTags = meter.CreateTags(null, [
            new("namespace", "default"),
            new("task_queue", "bench"),
            new("worker_type", "ActivityWorker"),
        ]);
        taskType = [new("activity_type", "analyzeDocument")];
        taskTags = meter.CreateTags(workerTags, taskType);
    }

    [GlobalCleanup]
    public void Cleanup() => meterProvider?.Dispose();

    /// <summary>Core extends the worker's labels for every task it runs.</summary>
    [Benchmark]
    public object CreateTaskTags() => meter.CreateTags(workerTags, taskType);

    [Benchmark]
    public void AddToCounter() => counter.Add(1, taskTags);

    [Benchmark]
    public void SetGauge() => gauge.Set(3, taskTags);

    [Benchmark]
    public void RecordSeconds() => histogram.Record(0.012, taskTags);
}
