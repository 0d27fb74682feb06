using System.Collections.Concurrent;

namespace Watchtower.Monitoring.SdkMetrics;

/// <summary>
/// One array per distinct label set Core asks for. Core builds a label set for every workflow task and activity
/// task, each time with fresh strings; the merged set is assembled in a buffer of the calling thread and looked up
/// by value, so that in the steady state a label set costs no allocation here and every recording with it uses
/// the same array.
/// </summary>
internal static class TagSets
{
    // Values are bounded label values and Core's own enumerations, so the distinct sets are few; the cap only keeps
    // a runaway caller from growing this without end (past it, sets are built as before, not kept).
    private const int MaxSets = 10_000;

    private static readonly ConcurrentDictionary<TagSet, KeyValuePair<string, object?>[]> Interned =
        new(TagSetComparer.Instance);

    [ThreadStatic]
    private static KeyValuePair<string, object?>[]? buffer;

    // Counted here rather than read from the dictionary: ConcurrentDictionary.Count takes every lock it has.
    private static int interned;

    /// <summary>
    /// The set <paramref name="existing"/> extended with <paramref name="tags"/> (a key given again replaces its
    /// value), each value passed through <paramref name="bound"/>.
    /// </summary>
    public static KeyValuePair<string, object?>[] Merge(
        KeyValuePair<string, object?>[] existing,
        IReadOnlyCollection<KeyValuePair<string, object>> tags,
        Func<string, object, object> bound)
    {
        var size = existing.Length + tags.Count;
        var merged = buffer is { } b && b.Length >= size
            ? b
            : buffer = new KeyValuePair<string, object?>[Math.Max(size, 16)];
        existing.CopyTo(merged, 0);
        var count = existing.Length;
        if (tags is KeyValuePair<string, object>[] array)
        {
            // What Core's bridge passes: walked without the enumerator a collection would allocate.
            foreach (var (key, value) in array)
            {
                count = Put(merged, count, key, bound(key, value));
            }
        }
        else
        {
            foreach (var (key, value) in tags)
            {
                count = Put(merged, count, key, bound(key, value));
            }
        }

        var candidate = new TagSet(merged, count);
        if (Interned.TryGetValue(candidate, out var known))
        {
            Array.Clear(merged, 0, count);
            return known;
        }

        var copy = merged.AsSpan(0, count).ToArray();
        Array.Clear(merged, 0, count);
        if (Volatile.Read(ref interned) >= MaxSets)
        {
            return copy;
        }

        var kept = Interned.GetOrAdd(new TagSet(copy, copy.Length), copy);
        if (ReferenceEquals(kept, copy))
        {
            Interlocked.Increment(ref interned);
        }

        return kept;
    }

    /// <summary>Sets <paramref name="key"/> in the first <paramref name="count"/> items; returns the count.</summary>
    private static int Put(KeyValuePair<string, object?>[] items, int count, string key, object value)
    {
        var index = 0;
        while (index < count && items[index].Key != key)
        {
            index++;
        }

        items[index] = new(key, value);
        return Math.Max(count, index + 1);
    }

    /// <summary>A label set as the first <see cref="Count"/> items of an array, compared by value.</summary>
    private readonly record struct TagSet(KeyValuePair<string, object?>[] Items, int Count)
    {
        public ReadOnlySpan<KeyValuePair<string, object?>> Span => Items.AsSpan(0, Count);
    }

    private sealed class TagSetComparer : IEqualityComparer<TagSet>
    {
        public static readonly TagSetComparer Instance = new();

        public bool Equals(TagSet x, TagSet y)
        {
            if (x.Count != y.Count)
            {
                return false;
            }

            var a = x.Span;
            var b = y.Span;
            for (var i = 0; i < a.Length; i++)
            {
                if (!string.Equals(a[i].Key, b[i].Key, StringComparison.Ordinal) || !Equals(a[i].Value, b[i].Value))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(TagSet set)
        {
            // Sampled rather than hashed in full: a full string hash of every key and value took longer than the
            // array it saves. Values are bounded before they get here (known type names, task queues and Core's
            // own enumerations), so a caller cannot choose values that collide.
            var hash = set.Count;
            foreach (var (key, value) in set.Span)
            {
                hash = (hash * 31) + key.Length;
                hash = (hash * 31) + (value is string text ? Sample(text) : value?.GetHashCode() ?? 0);
            }

            return hash;
        }

        private static int Sample(string text) => text.Length == 0
            ? 0
            : (text.Length * 31 * 31 * 31) + (text[0] * 31 * 31) + (text[text.Length / 2] * 31) + text[^1];
    }
}
