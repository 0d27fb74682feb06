namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// One execution's allocated bytes and the number of threads running its code now, in one 64-bit word: a thread that
/// leaves the code adds its bytes and counts itself out in a single atomic step, on a path every hop of an activity's
/// code takes. The low 16 bits count threads (an execution with 65,536 threads inside its code at once would carry
/// into the bytes), the rest are bytes (up to 128 TiB an execution).
/// </summary>
internal static class AllocationTally
{
    private const int InsideBits = 16;
    private const long InsideMask = (1L << InsideBits) - 1;

    public static void Enter(ref long tally) => Interlocked.Increment(ref tally);

    /// <summary>Adds a thread's bytes and counts it out; true when no thread is left inside.</summary>
    /// <remarks>
    /// A thread's own count only grows, so bytes are never negative; were they, they would borrow from the count.
    /// </remarks>
    public static bool Leave(ref long tally, long bytes) =>
        (Interlocked.Add(ref tally, (Math.Max(bytes, 0) << InsideBits) - 1) & InsideMask) == 0;

    public static bool AnyInside(long tally) => (tally & InsideMask) != 0;

    public static long Bytes(long tally) => tally >> InsideBits;
}
