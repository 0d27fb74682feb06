using Temporalio.Runtime;

namespace Watchtower.LoadRunner;

/// <summary>
/// A meter for the SDK's metrics that keeps nothing: what is left is what the SDK itself spends handing each of
/// Core's metrics to .NET (the floor of any bridge to a .NET Meter), measured as mode <c>sdk-floor</c>.
/// </summary>
internal sealed class SilentSdkMeter : ICustomMetricMeter
{
    private static readonly object NoTags = new();

    public ICustomMetricCounter<T> CreateCounter<T>(string name, string? unit, string? description)
        where T : struct => Instrument<T>.Instance;

    public ICustomMetricHistogram<T> CreateHistogram<T>(string name, string? unit, string? description)
        where T : struct => Instrument<T>.Instance;

    public ICustomMetricGauge<T> CreateGauge<T>(string name, string? unit, string? description)
        where T : struct => Instrument<T>.Instance;

    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags) => NoTags;

    private sealed class Instrument<T> : ICustomMetricCounter<T>, ICustomMetricHistogram<T>, ICustomMetricGauge<T>
        where T : struct
    {
        public static readonly Instrument<T> Instance = new();

        public void Add(T value, object tags)
        {
        }

        public void Record(T value, object tags)
        {
        }

        public void Set(T value, object tags)
        {
        }
    }
}
