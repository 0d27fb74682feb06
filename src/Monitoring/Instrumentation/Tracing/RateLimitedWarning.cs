namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// A warning said at most once a period by its owner (each interceptor has its own), with how many were held
/// back since: a hostile or broken caller must not be able to flood the log, but the operator must still hear
/// of it.
/// </summary>
internal sealed class RateLimitedWarning(TimeSpan period)
{
    private long nextAllowed = long.MinValue;
    private long suppressed;

    /// <summary>
    /// Whether to say it now; <paramref name="heldBack"/> is how many were not said since the last time.
    /// </summary>
    public bool TryEnter(out long heldBack)
    {
        var now = Environment.TickCount64;
        var next = Interlocked.Read(ref nextAllowed);
        var after = now + (long)period.TotalMilliseconds;
        if (now >= next && Interlocked.CompareExchange(ref nextAllowed, after, next) == next)
        {
            heldBack = Interlocked.Exchange(ref suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref suppressed);
        heldBack = 0;
        return false;
    }
}
