namespace Watchtower.Monitoring.Interception;

/// <summary>
/// Remembers which workflow-side spans and counts one interceptor has already emitted. A query sent
/// while a workflow is out of the cache replays its whole history, and the server includes events
/// whose workflow task has not run yet: Core processes those as new, not as replay, so the same span
/// would be emitted (and the same close counted) again when the real task comes to the same worker.
/// Keys are derived from the run (see <see cref="Tracing.SpanIds"/>), so they are the same on both passes.
/// </summary>
internal sealed class EmittedKeys
{
    /// <summary>
    /// Keys a generation holds: a key is remembered for at least this many claims after it, and at most twice as
    /// many. Duplicates of this kind arrive within seconds; 32K claims are about 6,000 runs of the document pipeline
    /// (a start and a close each, and a span for each run and for each call it makes), a minute at 100 runs a second.
    /// </summary>
    public const int Generation = 1 << 15;

    private readonly Lock gate = new();

    // Two generations rather than a set and a queue of the order: at full, two sets of 32K keys take 1.5 MB where a
    // set and a queue of 64K took 2.6 MB, and a full generation is cleared and reused rather than reallocated, so
    // forgetting allocates nothing. Each grows as needed: a worker that runs few workflows carries little.
    private HashSet<ulong> current = [];
    private HashSet<ulong> previous = [];

    /// <summary>Returns true the first time a key is claimed.</summary>
    public bool TryClaim(ulong key)
    {
        lock (gate)
        {
            if (previous.Contains(key) || current.Contains(key))
            {
                return false;
            }

            // Turned over before adding rather than after: the key that fills a generation is then remembered for a
            // whole generation more, like every other.
            if (current.Count == Generation)
            {
                (previous, current) = (current, previous);
                current.Clear();
            }

            current.Add(key);
            return true;
        }
    }

    public bool TryClaim(System.Diagnostics.ActivitySpanId spanId)
    {
        Span<byte> bytes = stackalloc byte[8];
        spanId.CopyTo(bytes);
        return TryClaim(BitConverter.ToUInt64(bytes));
    }
}
