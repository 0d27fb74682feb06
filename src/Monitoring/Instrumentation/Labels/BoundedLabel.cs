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
    private readonly Lock admitting = new();
    private int count;
    private volatile bool full;

    public int Cap => cap;

    public bool Contains(string value) => kept.ContainsKey(value);

    /// <summary>The value itself while there is room for it, else the overflow value.</summary>
    public string Admit(string value)
    {
        // Kept values and, once the label is full, new ones never take the lock: only a new value while there
        // is room does, so the cap is exact and a flood of new values past it costs a lookup each.
        if (kept.ContainsKey(value))
        {
            return value;
        }

        if (full)
        {
            return MetricLabels.Overflow;
        }

        lock (admitting)
        {
            if (kept.ContainsKey(value))
            {
                return value;
            }

            if (count >= cap)
            {
                full = true;
                return MetricLabels.Overflow;
            }

            kept[value] = true;
            full = ++count >= cap;
            return value;
        }
    }
}
