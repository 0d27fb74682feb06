using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Temporalio.Runtime;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Receives the Temporal SDK's own metrics (task slots, pollers, sticky cache, latencies, request
/// failures) through the runtime's custom metric meter and records them on the library's Meter, so
/// they share the scrape and the OTLP export. Durations arrive as seconds (the runtime is set to
/// <see cref="CustomMetricMeterOptions.DurationFormat.FloatSeconds"/>).
/// </summary>
internal sealed class TemporalSdkMetricMeter : ICustomMetricMeter
{
    // Core asks for an instrument once per worker; one Meter instrument per name keeps one series set.
    private readonly ConcurrentDictionary<(string Name, Type Kind), object> instruments = new();

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
        (ICustomMetricCounter<T>)instruments.GetOrAdd((name, typeof(Counter<T>)), static (key, state) =>
            new SdkCounter<T>(Telemetry.Meter.CreateCounter<T>(key.Name, Unit(state.unit), state.description)), (unit, description));

    public ICustomMetricHistogram<T> CreateHistogram<T>(string name, string? unit, string? description)
        where T : struct =>
        (ICustomMetricHistogram<T>)instruments.GetOrAdd((name, typeof(Histogram<T>)), static (key, state) =>
            new SdkHistogram<T>(Telemetry.Meter.CreateHistogram<T>(key.Name, Unit(state.unit), state.description)), (unit, description));

    public ICustomMetricGauge<T> CreateGauge<T>(string name, string? unit, string? description)
        where T : struct =>
        (ICustomMetricGauge<T>)instruments.GetOrAdd((name, typeof(Gauge<T>)), static (key, state) =>
            new SdkGauge<T>(Telemetry.Meter.CreateGauge<T>(key.Name, Unit(state.unit), state.description)), (unit, description));

    /// <summary>Tag sets are immutable arrays; Core hands back the object to extend or to record with.</summary>
    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags)
    {
        var existing = appendFrom as KeyValuePair<string, object?>[] ?? [];
        var merged = new List<KeyValuePair<string, object?>>(existing.Length + tags.Count);
        merged.AddRange(existing);
        foreach (var (key, value) in tags)
        {
            var index = merged.FindIndex(t => t.Key == key);
            if (index >= 0)
            {
                merged[index] = new(key, value);
            }
            else
            {
                merged.Add(new(key, value));
            }
        }

        return merged.ToArray();
    }

    /// <summary>UCUM units: Core's "duration" is seconds here; "ms" stays as Core reports it.</summary>
    private static string? Unit(string? unit) => unit switch
    {
        "duration" => "s",
        null or "" => null,
        _ => unit,
    };

    private static ReadOnlySpan<KeyValuePair<string, object?>> Tags(object tags) =>
        tags as KeyValuePair<string, object?>[] ?? [];

    private sealed class SdkCounter<T>(Counter<T> counter) : ICustomMetricCounter<T>
        where T : struct
    {
        public void Add(T value, object tags) => counter.Add(value, Tags(tags));
    }

    private sealed class SdkHistogram<T>(Histogram<T> histogram) : ICustomMetricHistogram<T>
        where T : struct
    {
        public void Record(T value, object tags) => histogram.Record(value, Tags(tags));
    }

    private sealed class SdkGauge<T>(Gauge<T> gauge) : ICustomMetricGauge<T>
        where T : struct
    {
        public void Set(T value, object tags) => gauge.Record(value, Tags(tags));
    }
}
