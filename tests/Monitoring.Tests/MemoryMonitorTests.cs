using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Monitoring.Hosting;
using Watchtower.Monitoring.Hosting.Memory;

namespace Watchtower.Monitoring.Tests;

[Collection(ProcessWideMeters.Name)]
public sealed class MemoryMonitorTests
{
    private const long MiB = 1024 * 1024;

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<MemoryMonitor> logger = new();
    private readonly ScriptedSource source = new();

    [Fact]
    public void MemoryMonitor_WorkingSetCrossesThresholds_StateFollowsWithOneLinePerChange()
    {
        using var monitor = Create(new MemoryMonitorOptions { WarnFraction = 0.8, CriticalFraction = 0.95 });
        var states = new List<MemoryState>();
        foreach (var workingSet in new long[] { 500, 850, 860, 960, 970, 500 })
        {
            source.WorkingSet = workingSet * MiB;
            time.Advance(TimeSpan.FromSeconds(15));
            states.Add(monitor.State);
        }

        Assert.Equal(
            [
                MemoryState.Healthy, MemoryState.Degraded, MemoryState.Degraded,
                MemoryState.Unhealthy, MemoryState.Unhealthy, MemoryState.Healthy,
            ],
            states);
        Assert.Equal(
            ["MemoryStateChanged", "MemoryStateChanged", "MemoryRecovered"],
            logger.Collector.GetSnapshot().Select(r => r.Id.Name));
        Assert.Contains(
            "Degraded: working set 850 MiB of a 1000 MiB limit",
            logger.Collector.GetSnapshot()[0].Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void MemoryMonitor_HeapRisingAfterEveryCollectionForTheWindow_GrowthReportedOnceThenEnds()
    {
        using var monitor = Create(new MemoryMonitorOptions
        {
            GrowthWindow = TimeSpan.FromMinutes(10),
            GrowthBytesPerSecond = 16 * 1024,
            GrowthMinimumCollections = 5,
        });
        var suspected = new List<bool>();

        // A leak: every collection leaves 1 MiB more behind, one collection every 30 s (35 KiB/s).
        for (var i = 1; i <= 30; i++)
        {
            source.Collect(heap: (100 + i) * MiB);
            time.Advance(TimeSpan.FromSeconds(30));
            suspected.Add(monitor.GrowthSuspected);
        }

        Assert.False(suspected[..10].Any(s => s), "nothing is judged before the window is full");
        Assert.True(suspected[^1]);
        Assert.InRange(monitor.GrowthRate, 30 * 1024, 40 * 1024);
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Name == "MemoryGrowthSuspected");

        // The leak stops: the heap holds, and the trend leaves the window.
        for (var i = 0; i < 25; i++)
        {
            source.Collect(heap: 130 * MiB);
            time.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.False(monitor.GrowthSuspected);
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Name == "MemoryGrowthEnded");
    }

    [Fact]
    public void MemoryMonitor_OneBigCycleThenSteady_NoGrowthAlarm()
    {
        using var monitor = Create(new MemoryMonitorOptions { GrowthWindow = TimeSpan.FromMinutes(10) });

        // A sawtooth around 100 MiB, one burst to 300 MiB that stays (a cache filling once), then steady.
        for (var i = 0; i < 60; i++)
        {
            source.Collect(heap: (i < 20 ? 100 + (i % 2 * 5) : 300 + (i % 2 * 5)) * MiB);
            time.Advance(TimeSpan.FromSeconds(20));
            Assert.False(monitor.GrowthSuspected, $"sample {i}: growth reported for a single step");
        }

        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Id.Name == "MemoryGrowthSuspected");
    }

    [Fact]
    public void MemoryMonitor_Gauges_ReportTheLatestSampleAndState()
    {
        using var monitor = Create(new MemoryMonitorOptions());
        using var privateBytes = new MetricCollector<long>(HostingTelemetry.Meter, "watchtower.memory.private");
        using var limit = new MetricCollector<long>(HostingTelemetry.Meter, "watchtower.memory.limit");
        using var state = new MetricCollector<int>(HostingTelemetry.Meter, "watchtower.memory.state");
        source.WorkingSet = 821 * MiB;
        time.Advance(TimeSpan.FromSeconds(15));

        privateBytes.RecordObservableInstruments();
        limit.RecordObservableInstruments();
        state.RecordObservableInstruments();

        Assert.Contains(privateBytes.GetMeasurementSnapshot(), m => m.Value == 821 * MiB);
        Assert.Contains(limit.GetMeasurementSnapshot(), m => m.Value == 1000 * MiB);
        Assert.Contains(state.GetMeasurementSnapshot(), m => m.Value == (int)MemoryState.Degraded);
    }

    [Fact]
    public void RuntimeMemorySource_ThisProcess_ReadsPlausibleFigures()
    {
        GC.Collect();

        var sample = new RuntimeMemorySource().Read();

        Assert.True(sample.HeapBytes > 0);
        Assert.True(sample.WorkingSetBytes > sample.HeapBytes / 2);
        Assert.True(sample.LimitBytes >= sample.WorkingSetBytes, "the limit the runtime sees is at least what it uses");
        Assert.True(sample.PrivateBytes > 0);
        Assert.True(sample.GcIndex > 0);
    }

    [Fact]
    public void MemoryMonitor_SampleThrowsOnTheTimer_StepsDownOnceAndNothingEscapes()
    {
        var failures = new List<Exception>();
        using var monitor = new MemoryMonitor(source, time, logger, new MemoryMonitorOptions(), failures.Add);
        using var state = new MetricCollector<int>(HostingTelemetry.Meter, "watchtower.memory.state");
        source.WorkingSet = 900 * MiB;
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(MemoryState.Degraded, monitor.State);

        // Say /proc became unreadable: every later read throws, on the timer's thread.
        source.Failure = new IOException("Too many open files");
        time.Advance(TimeSpan.FromSeconds(15));
        time.Advance(TimeSpan.FromSeconds(15));
        state.RecordObservableInstruments();

        Assert.IsType<IOException>(Assert.Single(failures));
        Assert.False(monitor.IsInitialized);
        Assert.Equal(MemoryState.Healthy, monitor.State);
        Assert.Empty(state.GetMeasurementSnapshot());
    }

    private MemoryMonitor Create(MemoryMonitorOptions options) => new(source, time, logger, options);

    private sealed class ScriptedSource : IMemorySource
    {
        private long gcIndex;

        public long Heap { get; set; } = 100 * MiB;

        public long WorkingSet { get; set; } = 400 * MiB;

        public void Collect(long heap)
        {
            Heap = heap;
            gcIndex++;
        }

        public Exception? Failure { get; set; }

        public MemorySample Read() => Failure is { } failure ? throw failure :
            new(Heap, gcIndex, WorkingSet, WorkingSet, 1000 * MiB);
    }
}
