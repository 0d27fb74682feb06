using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Temporalio.Runtime;
using Watchtower.Monitoring.Labels;
using Watchtower.Monitoring.SdkMetrics;

namespace Watchtower.Monitoring.Tests;

public sealed class TemporalSdkMetricMeterTests
{
    [Fact]
    public void TemporalSdkMetricMeter_ForCoreDashboard_RecordsAgainInMillisecondsUnderCoreNames()
    {
        var name = "temporal_probe_latency_" + Guid.NewGuid().ToString("N");
        var counterName = "temporal_probe_" + Guid.NewGuid().ToString("N");
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance, coreNames: true);
        var histogram = meter.CreateHistogram<double>(name, "duration", "probe");
        var counter = meter.CreateCounter<long>(counterName, null, "probe");
        var tags = meter.CreateTags(null, [new("namespace", "default")]);
        using var ours = new MetricCollector<double>(Telemetry.Meter, name);
        using var core = new MetricCollector<double>(Telemetry.CoreSdkMeter, name);
        using var coreCount = new MetricCollector<long>(Telemetry.CoreSdkMeter, counterName);

        histogram.Record(0.25, tags);
        counter.Add(3, tags);

        Assert.Equal(0.25, Assert.Single(ours.GetMeasurementSnapshot()).Value);
        var inMilliseconds = Assert.Single(core.GetMeasurementSnapshot());
        Assert.Equal((250.0, "default"), (inMilliseconds.Value, inMilliseconds.Tags["namespace"]));
        Assert.Null(core.Instrument!.Unit);
        Assert.Equal(3, Assert.Single(coreCount.GetMeasurementSnapshot()).Value);
        Assert.IsType<UpDownCounter<long>>(coreCount.Instrument);
    }

    [Fact]
    public void TemporalSdkMetricMeter_NotForCoreDashboard_NothingOnTheCoreMeter()
    {
        var name = "temporal_probe_latency_" + Guid.NewGuid().ToString("N");
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance);
        var histogram = meter.CreateHistogram<double>(name, "duration", "probe");
        using var core = new MetricCollector<double>(Telemetry.CoreSdkMeter, name);

        histogram.Record(0.25, meter.CreateTags(null, [new("namespace", "default")]));

        Assert.Empty(core.GetMeasurementSnapshot());
    }

    [Fact]
    public void TemporalSdkMetricMeter_TagsAppended_MergedWithLaterValuesWinning()
    {
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance);
        MetricLabels.WorkflowTypes.Declare("W");

        var baseTags = meter.CreateTags(null, [new("namespace", "default"), new("task_queue", "a")]);
        var extended = meter.CreateTags(baseTags, [new("task_queue", "b"), new("workflow_type", "W")]);

        Assert.Equal(
            [new("namespace", "default"), new("task_queue", "b"), new("workflow_type", "W")],
            Assert.IsType<KeyValuePair<string, object?>[]>(extended));
        Assert.Equal(2, Assert.IsType<KeyValuePair<string, object?>[]>(baseTags).Length);
    }

    [Fact]
    public void TemporalSdkMetricMeter_SameTagsAgainWithFreshStrings_SameArrayAndNothingAllocated()
    {
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance);
        var queue = "interned-" + Guid.NewGuid().ToString("N");
        MetricLabels.TaskQueues.Admit(queue);
        var worker = meter.CreateTags(null, [new("namespace", "default"), new("task_queue", queue)]);
        KeyValuePair<string, object>[] task = [new("worker_type", new string("ActivityWorker".AsSpan()))];
        var first = meter.CreateTags(worker, task);
        task = [new("worker_type", new string("ActivityWorker".AsSpan()))];
        meter.CreateTags(worker, task);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var again = meter.CreateTags(worker, task);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Same(first, again);
        Assert.Equal(0, allocated);
        Assert.NotSame(first, meter.CreateTags(worker, [new("worker_type", "WorkflowWorker")]));
    }

    [Fact]
    public void TemporalSdkMetricMeter_TypesNoWorkerDeclares_CollapseIntoUnregisteredAndDeclaredOnesKept()
    {
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance);
        var declared = "Declared" + Guid.NewGuid().ToString("N");
        var options = new Temporalio.Worker.TemporalWorkerOptions("labels-" + Guid.NewGuid().ToString("N"));
        options.AddWorkflow(Temporalio.Workflows.WorkflowDefinition.Create(
            typeof(LabelledWorkflow), declared, null));
        TemporalSdkMetrics.DeclareWorkerTypes(options);

        var values = Enumerable.Range(0, 5000)
            .Select(i => meter.CreateTags(null, [new("workflow_type", "Hostile" + i)]))
            .Append(meter.CreateTags(null, [new("workflow_type", declared), new("activity_type", "Nope")]))
            .SelectMany(tags => Assert.IsType<KeyValuePair<string, object?>[]>(tags))
            .Select(tag => (string)tag.Value!)
            .ToHashSet();

        Assert.Equal(2, values.Count);
        Assert.Contains(MetricLabels.Unregistered, values);
        Assert.Contains(declared, values);
    }

    [Fact]
    public void TemporalSdkMetricMeter_CoreInstruments_RecordedOnTheLibraryMeterWithTheirTags()
    {
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance);
        var name = "temporal_test_" + Guid.NewGuid().ToString("N");
        var counter = meter.CreateCounter<long>(name, null, "test counter");
        var again = meter.CreateCounter<long>(name, null, "test counter");
        var latency = meter.CreateHistogram<double>(name + "_latency", "s", "test latency");
        var slots = meter.CreateGauge<long>(name + "_slots", null, "test gauge");
        using var counted = new MetricCollector<long>(Telemetry.Meter, name);
        using var timed = new MetricCollector<double>(Telemetry.Meter, name + "_latency");
        using var gauged = new MetricCollector<long>(Telemetry.Meter, name + "_slots");
        var tags = meter.CreateTags(null, [new("task_queue", "q")]);

        counter.Add(2, tags);
        again.Add(3, tags);
        latency.Record(0.25, tags);
        slots.Set(7, tags);

        Assert.Same(counter, again);
        Assert.Equal([2L, 3L], counted.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.All(counted.GetMeasurementSnapshot(), m => Assert.Equal("q", m.Tags["task_queue"]));
        Assert.Equal(0.25, Assert.Single(timed.GetMeasurementSnapshot()).Value);
        Assert.Equal("s", timed.Instrument!.Unit);
        Assert.Equal(7, gauged.LastMeasurement!.Value);
    }

    [Fact]
    public void TemporalSdkMetricMeter_InstrumentCoreNeverRecordsOn_NotPublishedUntilItsFirstValue()
    {
        // Core asks for all of its instruments up front, and each instrument published reserves storage for
        // MaxSeriesPerMetric label sets in every meter provider, though most workers never record half of them.
        var meter = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance, coreNames: true);
        var name = "temporal_unused_" + Guid.NewGuid().ToString("N");
        var published = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Name.StartsWith(name, StringComparison.Ordinal))
                {
                    lock (published)
                    {
                        published.Add($"{instrument.Meter.Name}/{instrument.Name}");
                    }
                }
            },
        };
        listener.Start();
        var counter = meter.CreateCounter<long>(name, null, "probe");
        meter.CreateHistogram<double>(name + "_latency", "duration", "probe");
        meter.CreateHistogram<long>(name + "_size", "By", "probe");
        meter.CreateGauge<long>(name + "_slots", null, "probe");

        Assert.Empty(published);

        counter.Add(1, meter.CreateTags(null, [new("namespace", "default")]));

        Assert.Equal(
            [$"{MonitoringNames.CoreSdkMeterName}/{name}", $"{MonitoringNames.MeterName}/{name}"],
            published.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TemporalSdkMetricMeter_InstrumentsCreationThrewOnce_NextMeterRecordsOnIt()
    {
        // A meter listener's callback that throws comes out of the instrument's creation, now made at its first
        // value: the meter that met it drops the instrument, and the next one (another host's) tries again.
        var name = "temporal_created_after_failure_" + Guid.NewGuid().ToString("N");
        var throwOnce = 1;
        using var flaky = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Name == name && Interlocked.Exchange(ref throwOnce, 0) == 1)
                {
                    throw new InvalidOperationException("listener bug");
                }
            },
        };
        flaky.Start();
        var logger = new FakeLogger<TemporalSdkMetricMeter>();
        var first = new TemporalSdkMetricMeter(logger);
        first.CreateCounter<long>(name, null, null).Add(1, first.CreateTags(null, []));
        var next = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance);
        var counter = next.CreateCounter<long>(name, null, null);
        long recorded = 0;
        using var listener = new MeterListener
        {
            // The instrument whose creation threw stays in the Meter beside the new one, so a collector that binds
            // to one instrument by name might watch the wrong one.
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref recorded, value));
        listener.Start();

        counter.Add(2, next.CreateTags(null, []));

        Assert.Equal("SdkMetricFailed", Assert.Single(logger.Collector.GetSnapshot()).Id.Name);
        Assert.Equal(2, Interlocked.Read(ref recorded));
    }

    [Fact]
    public void TemporalSdkMetricMeter_RuntimeOptions_DurationsAsSecondsWithoutCoresServiceLabel()
    {
        var options = new TemporalSdkMetricMeter(NullLogger<TemporalSdkMetricMeter>.Instance).RuntimeOptions;

        Assert.NotNull(options.CustomMetricMeter);
        Assert.Equal(
            CustomMetricMeterOptions.DurationFormat.FloatSeconds,
            options.CustomMetricMeterOptions!.HistogramDurationFormat);
        Assert.False(options.AttachServiceName);
    }

    [Fact]
    public void TemporalSdkMetricMeter_ListenerThrows_NothingReachesCoreAndOneWarning()
    {
        var logger = new FakeLogger<TemporalSdkMetricMeter>();
        var meter = new TemporalSdkMetricMeter(logger);
        var name = "temporal_throwing_" + Guid.NewGuid().ToString("N");
        var counter = meter.CreateCounter<long>(name, null, null);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => throw new InvalidOperationException("exporter bug"));
        listener.Start();
        var tags = meter.CreateTags(null, []);

        counter.Add(1, tags);
        counter.Add(1, tags);

        var warning = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal("SdkMetricFailed", warning.Id.Name);
        Assert.Contains(name, warning.Message, StringComparison.Ordinal);
    }

    [Temporalio.Workflows.Workflow]
    private sealed class LabelledWorkflow
    {
        private readonly Task done = Task.CompletedTask;

        [Temporalio.Workflows.WorkflowRun]
        public Task RunAsync() => done;
    }
}
