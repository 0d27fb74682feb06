namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Remembers which workflow-side spans and counts this process has already emitted. A query sent
/// while a workflow is out of the cache replays its whole history, and the server includes events
/// whose workflow task has not run yet: Core processes those as new, not as replay, so the same span
/// would be emitted (and the same close counted) again when the real task comes. Keys are derived
/// from the run (see <see cref="SpanIds"/>), so they are the same on both passes.
/// </summary>
internal static class EmittedOnce
{
    // Duplicates of this kind arrive within seconds; 64K keys (about 1.5 MB) is far more than enough.
    private const int Capacity = 1 << 16;

    private static readonly HashSet<ulong> Seen = new(Capacity);
    private static readonly Queue<ulong> Order = new(Capacity);
    private static readonly Lock Gate = new();

    /// <summary>Returns true the first time a key is claimed in this process.</summary>
    public static bool TryClaim(ulong key)
    {
        lock (Gate)
        {
            if (!Seen.Add(key))
            {
                return false;
            }

            Order.Enqueue(key);
            if (Order.Count > Capacity)
            {
                Seen.Remove(Order.Dequeue());
            }

            return true;
        }
    }

    public static ulong Key(System.Diagnostics.ActivitySpanId spanId)
    {
        Span<byte> bytes = stackalloc byte[8];
        spanId.CopyTo(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
