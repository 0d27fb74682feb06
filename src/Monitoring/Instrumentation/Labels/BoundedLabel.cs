using System.Collections.Concurrent;

namespace Watchtower.Monitoring.Labels;

/// <summary>
/// The values one label may take: the first <paramref name="cap"/> distinct values are kept, later ones
/// read <see cref="MetricLabels.Overflow"/>. A series costs memory in every meter provider and in every
/// Prometheus that scrapes it, so no label may grow with what callers send.
/// </summary>
internal sealed class BoundedLabel(int cap)
{
    private readonly ConcurrentDictionary<string, bool> kept = new(StringComparer.Ordinal);
    private int count;

    public int Cap => cap;

    public bool Contains(string value) => kept.ContainsKey(value);

    /// <summary>The value itself while there is room for it, else the overflow value.</summary>
    public string Admit(string value)
    {
        if (kept.ContainsKey(value))
        {
            return value;
        }

        if (Interlocked.Increment(ref count) > cap)
        {
            Interlocked.Decrement(ref count);
            return MetricLabels.Overflow;
        }

        // Two threads admitting the same new value both took a place; the one that lost gives it back.
        if (!kept.TryAdd(value, true))
        {
            Interlocked.Decrement(ref count);
        }

        return value;
    }
}
