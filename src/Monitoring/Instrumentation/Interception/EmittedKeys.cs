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
    // Duplicates of this kind arrive within seconds; 64K keys (about 2.6 MB, the set and the queue) is far more
    // than enough.
    private const int Capacity = 1 << 16;

    // Grown as needed: a worker that runs few workflows should not carry 2.6 MB for nothing.
    private readonly HashSet<ulong> seen = [];
    private readonly Queue<ulong> order = new();
    private readonly Lock gate = new();

    /// <summary>Returns true the first time a key is claimed.</summary>
    public bool TryClaim(ulong key)
    {
        lock (gate)
        {
            if (!seen.Add(key))
            {
                return false;
            }

            order.Enqueue(key);
            if (order.Count > Capacity)
            {
                seen.Remove(order.Dequeue());
            }

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
