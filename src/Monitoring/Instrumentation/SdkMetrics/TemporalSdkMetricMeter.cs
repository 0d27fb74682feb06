using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Temporalio.Runtime;
using Watchtower.Monitoring.Labels;
using Watchtower.Monitoring.Metrics;

namespace Watchtower.Monitoring.SdkMetrics;

/// <summary>
/// Receives the Temporal SDK's own metrics (task slots, pollers, sticky cache, latencies, request
/// failures) through the runtime's custom metric meter and records them on the library's Meter, so
/// they share the scrape and the OTLP export. Durations arrive as seconds (the runtime is set to
/// <see cref="CustomMetricMeterOptions.DurationFormat.FloatSeconds"/>).
/// </summary>
internal sealed class TemporalSdkMetricMeter(ILogger logger, bool coreNames = false) : ICustomMetricMeter
{
    private ILogger Logger => logger;

    private bool CoreNames => coreNames;

    // Core asks for its instruments again for every worker and client, and the Meter is the process's:
    // one instrument per name for the whole process, or every new one would cost each meter provider a
    // new metric stream and duplicate the series. Each is made on its first value rather than when Core asks:
    // Core asks for all 41 of its instruments up front, a worker records on about half of them, and each one
    // published reserves storage for MaxSeriesPerMetric label sets (about 48 KB at 500) in every meter provider.
    private static readonly ConcurrentDictionary<(string Name, Type Kind), OnFirstUse<Instrument>> Shared = new();

    // The same instruments again under Core's own names and units, on their own Meter: one per name too.
    private static readonly ConcurrentDictionary<(string Name, Type Kind), OnFirstUse<Instrument>> CoreShared = new();

    private static readonly Func<string, object, object> BoundedValue = Bounded;

    // Wrappers are this meter's own, so a failure is reported through this host's logger.
    private readonly ConcurrentDictionary<(string Name, Type Kind), object> wrappers = new();

    /// <summary>Gets the runtime options that make the SDK report through this meter.</summary>
    public MetricsOptions RuntimeOptions => new()
    {
        CustomMetricMeter = this,

        // The resource already names the service; Core's own "temporal-core-sdk" label would only repeat it wrongly.
        AttachServiceName = false,
        CustomMetricMeterOptions = new CustomMetricMeterOptions
        {
            HistogramDurationFormat = CustomMetricMeterOptions.DurationFormat.FloatSeconds,
        },
    };

    public ICustomMetricCounter<T> CreateCounter<T>(string name, string? unit, string? description)
        where T : struct =>
        (ICustomMetricCounter<T>)wrappers.GetOrAdd(
            (name, typeof(Counter<T>)),
            static (key, state) => new SdkInstrument<T>(
                key.Name,
                Deferred(Shared, key, Unit(state.unit), state.description, static (n, u, d) =>
                    Telemetry.Meter.CreateCounter<T>(n, u, d)),
                // An up-down counter, though it only goes up: Prometheus asks for OpenMetrics first, where every
                // counter's name ends in _total, and Core's dashboard reads Core's names, which do not. Exposed with
                // the gauge type, it keeps its name, and rate() reads it as it reads a counter.
                state.owner.CoreNames
                    ? Deferred(CoreShared, key, unit: null, state.description, static (n, u, d) =>
                        Telemetry.CoreSdkMeter.CreateUpDownCounter<T>(n, u, d))
                    : null,
                milliseconds: null,
                state.owner),
            (unit, description, owner: this));

    public ICustomMetricHistogram<T> CreateHistogram<T>(string name, string? unit, string? description)
        where T : struct =>
        (ICustomMetricHistogram<T>)wrappers.GetOrAdd(
            (name, typeof(Histogram<T>)),
            static (key, state) =>
            {
                var histogram = Deferred(Shared, key, Unit(state.unit), state.description, static (n, u, d) =>
                    CreateSharedHistogram<T>(n, u, d));
                if (!state.owner.CoreNames)
                {
                    return new SdkInstrument<T>(key.Name, histogram, twin: null, milliseconds: null, state.owner);
                }

                // Core's durations arrive in seconds here; its dashboard reads milliseconds.
                if (Unit(state.unit) == "s" && typeof(T) == typeof(double))
                {
                    var milliseconds = Deferred(
                        CoreShared,
                        (key.Name, typeof(Histogram<double>)),
                        unit: null,
                        state.description,
                        static (n, u, d) => Telemetry.CoreSdkMeter.CreateHistogram(
                            n, u, d, tags: null, WorkerMetrics.MillisecondsAdvice));
                    return new SdkInstrument<T>(key.Name, histogram, twin: null, milliseconds, state.owner);
                }

                var twin = Deferred(CoreShared, key, unit: null, state.description, static (n, u, d) =>
                    Telemetry.CoreSdkMeter.CreateHistogram<T>(n, u, d));
                return new SdkInstrument<T>(key.Name, histogram, twin, milliseconds: null, state.owner);
            },
            (unit, description, owner: this));

    public ICustomMetricGauge<T> CreateGauge<T>(string name, string? unit, string? description)
        where T : struct =>
        (ICustomMetricGauge<T>)wrappers.GetOrAdd(
            (name, typeof(Gauge<T>)),
            static (key, state) => new SdkInstrument<T>(
                key.Name,
                Deferred(Shared, key, Unit(state.unit), state.description, static (n, u, d) =>
                    Telemetry.Meter.CreateGauge<T>(n, u, d)),
                state.owner.CoreNames
                    ? Deferred(CoreShared, key, unit: null, state.description, static (n, u, d) =>
                        Telemetry.CoreSdkMeter.CreateGauge<T>(n, u, d))
                    : null,
                milliseconds: null,
                state.owner),
            (unit, description, owner: this));

    /// <summary>
    /// Tag sets are immutable arrays; Core hands back the object to extend or to record with. Values that
    /// come from outside the code (type names, task queues, namespaces) are bounded here, once per set, and
    /// each distinct set is one array for the process (<see cref="TagSets"/>).
    /// </summary>
    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags) =>
        TagSets.Merge(appendFrom as KeyValuePair<string, object?>[] ?? [], tags, BoundedValue);

    private static object Bounded(string key, object value) => (key, value) switch
    {
        (WorkerMetrics.WorkflowType, string type) => MetricLabels.WorkflowTypes.Reported(type),
        (WorkerMetrics.ActivityType, string type) => MetricLabels.ActivityTypes.Reported(type),
        (WorkerMetrics.TaskQueue, string queue) => MetricLabels.TaskQueues.Admit(queue),
        (WorkerMetrics.Namespace, string ns) => MetricLabels.Namespaces.Admit(ns),
        _ => value,
    };

    /// <summary>
    /// Seconds and bytes get the library's bucket boundaries, as the interceptors' own histograms do.
    /// </summary>
    private static Histogram<T> CreateSharedHistogram<T>(string name, string? unit, string? description)
        where T : struct => (unit, typeof(T)) switch
        {
            ("s", var type) when type == typeof(double) => (Histogram<T>)(object)Telemetry.Meter.CreateHistogram(
                name, unit, description, tags: null, WorkerMetrics.SecondsAdvice),
            ("By", var type) when type == typeof(long) => (Histogram<T>)(object)Telemetry.Meter.CreateHistogram(
                name, unit, description, tags: null, WorkerMetrics.BytesAdvice),
            _ => Telemetry.Meter.CreateHistogram<T>(name, unit, description),
        };

    /// <summary>UCUM units: Core's "duration" is seconds here; "ms" stays as Core reports it.</summary>
    private static string? Unit(string? unit) => unit switch
    {
        "duration" => "s",
        null or "" => null,
        _ => unit,
    };

    /// <summary>
    /// The process's one instrument for <paramref name="key"/>, made by <paramref name="create"/> (from its name,
    /// unit and description) when first asked for its value: a race to add it leaves one holder in the map, and
    /// only that one makes it. It holds nothing of the meter that asked.
    /// </summary>
    private static OnFirstUse<Instrument> Deferred(
        ConcurrentDictionary<(string Name, Type Kind), OnFirstUse<Instrument>> shared,
        (string Name, Type Kind) key,
        string? unit,
        string? description,
        Func<string, string?, string?, Instrument> create) =>
        shared.GetOrAdd(
            key,
            static (k, s) => new OnFirstUse<Instrument>(() => s.create(k.Name, s.unit, s.description)),
            (unit, description, create));

    private static ReadOnlySpan<KeyValuePair<string, object?>> Tags(object tags) =>
        tags as KeyValuePair<string, object?>[] ?? [];

    /// <summary>
    /// One of Core's instruments. Core calls it from its own threads through native code: nothing
    /// may be thrown back. An instrument that fails once is said once and dropped.
    /// </summary>
    private sealed class SdkInstrument<T>(
        string name,
        OnFirstUse<Instrument> instrument,
        OnFirstUse<Instrument>? twin,
        OnFirstUse<Instrument>? milliseconds,
        TemporalSdkMetricMeter owner)
        : ICustomMetricCounter<T>, ICustomMetricHistogram<T>, ICustomMetricGauge<T>
        where T : struct
    {
        private int failed;

        public void Add(T value, object tags) => Measure(value, tags);

        public void Record(T value, object tags) => Measure(value, tags);

        public void Set(T value, object tags) => Measure(value, tags);

        private void Measure(T value, object tags)
        {
            if (Volatile.Read(ref failed) != 0)
            {
                return;
            }

            try
            {
                var labels = Tags(tags);
                Record(instrument.Value, value, labels);
                if (twin is not null)
                {
                    Record(twin.Value, value, labels);
                }
                else if (milliseconds is not null)
                {
                    // T is double whenever this twin exists: reinterpreted rather than boxed on the hot path.
                    ((Histogram<double>)milliseconds.Value).Record(Unsafe.As<T, double>(ref value) * 1000, labels);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                if (Interlocked.Exchange(ref failed, 1) == 0)
                {
                    Log.SdkMetricFailed(owner.Logger, name, e.Message);
                }
            }
        }

        private static void Record(Instrument target, T value, ReadOnlySpan<KeyValuePair<string, object?>> labels)
        {
            switch (target)
            {
                case Counter<T> counter:
                    counter.Add(value, labels);
                    break;
                case UpDownCounter<T> upDown:
                    upDown.Add(value, labels);
                    break;
                case Histogram<T> histogram:
                    histogram.Record(value, labels);
                    break;
                case Gauge<T> gauge:
                    gauge.Record(value, labels);
                    break;
            }
        }
    }
}
