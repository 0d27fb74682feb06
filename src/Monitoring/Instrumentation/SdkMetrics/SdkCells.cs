using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Watchtower.Monitoring.Metrics;

namespace Watchtower.Monitoring.SdkMetrics;

/// <summary>
/// One of Core's counters or gauges, kept here as a cell per label set and read by an observable instrument when a
/// meter provider collects, instead of handed to OpenTelemetry value by value. OpenTelemetry would look the label
/// set up again for every value, and in a loaded worker that lookup cost about ten times its benchmark; Core hands
/// back the same interned set (<see cref="SdkTagSet"/>) every time, so its number finds the cell. Sums (counters)
/// are added atomically, gauges keep the last value set. The instrument is made on the first value, as the other
/// instruments of Core's are.
/// </summary>
/// <typeparam name="T">The value type: <see cref="long"/> or <see cref="double"/> (<see cref="Supports"/>).</typeparam>
internal sealed class SdkCells<T>
    where T : struct
{
    // What OpenTelemetry labels its own overflow series with; here, values with a set past TagSets' cap: summed for
    // a counter, the last one for a gauge, as OpenTelemetry's own overflow does.
    private static readonly KeyValuePair<string, object?>[] OverflowTags = [new("otel.metric.overflow", true)];

    private readonly Lock gate = new();
    private readonly OnFirstUse<Instrument> instrument;
    private readonly bool summed;
    private Cell?[] cells = [];
    private Cell? overflow;
    private object? reader;

    /// <summary>Initializes a new instance of the <see cref="SdkCells{T}"/> class.</summary>
    /// <param name="summed">Whether values are added (a counter) rather than set (a gauge).</param>
    /// <param name="create">Makes the observable instrument around the callback it is given.</param>
    public SdkCells(bool summed, Func<Func<IEnumerable<Measurement<T>>>, Instrument> create)
    {
        this.summed = summed;
        instrument = new OnFirstUse<Instrument>(() =>
        {
            // A creation that throws (a listener's callback can) leaves its instrument in the Meter all the same:
            // only the one made last reads the cells, or a collector bound to both would count every value twice.
            var attempt = new object();
            var made = create(() => ReferenceEquals(Volatile.Read(ref reader), attempt) ? Observe() : []);
            Volatile.Write(ref reader, attempt);
            return made;
        });
    }

    /// <summary>Gets a value indicating whether cells hold <typeparamref name="T"/> (all Core's values).</summary>
    public static bool Supports => typeof(T) == typeof(long) || typeof(T) == typeof(double);

    /// <summary>Adds <paramref name="value"/> to, or sets it in, the cell of <paramref name="tags"/>.</summary>
    /// <exception cref="InvalidOperationException">The instrument could not be made.</exception>
    public void Record(T value, SdkTagSet tags)
    {
        var known = Volatile.Read(ref cells);
        var index = tags.Index;
        var cell = (uint)index < (uint)known.Length ? known[index] : index < 0 ? Volatile.Read(ref overflow) : null;
        cell ??= Add(tags);
        if (summed)
        {
            cell.Add(value);
        }
        else
        {
            cell.Set(value);
        }
    }

    private Cell Add(SdkTagSet tags)
    {
        // Before the first cell: a creation that fails throws here, and no value is kept that nothing reads.
        _ = instrument.Value;
        lock (gate)
        {
            if (tags.Index < 0)
            {
                return overflow ??= new Cell(OverflowTags);
            }

            var known = cells;
            if (tags.Index < known.Length && known[tags.Index] is { } cell)
            {
                return cell;
            }

            if (tags.Index >= known.Length)
            {
                var grown = new Cell?[Math.Min(TagSets.MaxSets, Math.Max(tags.Index + 1, known.Length * 2))];
                known.CopyTo(grown, 0);
                known = grown;
            }

            cell = new Cell(tags.Items);
            known[tags.Index] = cell;
            Volatile.Write(ref cells, known);
            return cell;
        }
    }

    private List<Measurement<T>> Observe()
    {
        var known = Volatile.Read(ref cells);
        var measured = new List<Measurement<T>>();
        foreach (var cell in known)
        {
            if (cell is not null)
            {
                measured.Add(new Measurement<T>(cell.Read(), cell.Tags));
            }
        }

        if (Volatile.Read(ref overflow) is { } spilled)
        {
            measured.Add(new Measurement<T>(spilled.Read(), spilled.Tags));
        }

        return measured;
    }

    /// <summary>One label set's value; T is long or double, each read and written whole.</summary>
    private sealed class Cell(KeyValuePair<string, object?>[] tags)
    {
        private T value;

        public KeyValuePair<string, object?>[] Tags => tags;

        public void Add(T amount)
        {
            if (typeof(T) == typeof(long))
            {
                Interlocked.Add(ref Unsafe.As<T, long>(ref value), Unsafe.As<T, long>(ref amount));
                return;
            }

            // Compared as bits, as CompareExchange compares: by value, -0.0 and +0.0 would be taken for each other.
            ref var bits = ref Unsafe.As<T, long>(ref value);
            var add = Unsafe.As<T, double>(ref amount);
            var seen = Volatile.Read(ref bits);
            while (true)
            {
                var sum = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + add);
                var found = Interlocked.CompareExchange(ref bits, sum, seen);
                if (found == seen)
                {
                    return;
                }

                seen = found;
            }
        }

        public void Set(T next)
        {
            if (typeof(T) == typeof(long))
            {
                Volatile.Write(ref Unsafe.As<T, long>(ref value), Unsafe.As<T, long>(ref next));
            }
            else
            {
                Volatile.Write(ref Unsafe.As<T, double>(ref value), Unsafe.As<T, double>(ref next));
            }
        }

        public T Read()
        {
            var read = default(T);
            if (typeof(T) == typeof(long))
            {
                Unsafe.As<T, long>(ref read) = Volatile.Read(ref Unsafe.As<T, long>(ref value));
            }
            else
            {
                Unsafe.As<T, double>(ref read) = Volatile.Read(ref Unsafe.As<T, double>(ref value));
            }

            return read;
        }
    }
}
