using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// What an operator asks a worker first, kept beside the metrics it repeats: runs in flight, the last completion,
/// and how many of the runs that ended in the last ten minutes failed. Counted where the metrics count, once a
/// run and never on replay; closes are rare next to activities, so a lock is cheap enough here.
/// </summary>
internal sealed class WorkflowRuns(TimeProvider time)
{
    private const int Minutes = 10;

    private readonly Lock gate = new();
    private readonly long[] minuteOf = new long[Minutes];
    private readonly long[] ended = new long[Minutes];
    private readonly long[] failed = new long[Minutes];
    private long inFlight;
    private long lastCompletedTicks;

    public static TimeSpan Window { get; } = TimeSpan.FromMinutes(Minutes);

    public void Started() => Interlocked.Increment(ref inFlight);

    public void Closed(string outcome)
    {
        Interlocked.Decrement(ref inFlight);
        var now = time.GetUtcNow();
        if (outcome == RunOutcome.Completed)
        {
            Volatile.Write(ref lastCompletedTicks, now.UtcTicks);
        }

        // As the failure-ratio alerts count: continue-as-new, cancellations and benign failures are on neither side.
        var isFailure = outcome is RunOutcome.Failed or RunOutcome.TimedOut;
        if (!isFailure && outcome != RunOutcome.Completed)
        {
            return;
        }

        var minute = now.UtcTicks / TimeSpan.TicksPerMinute;
        var slot = (int)(minute % Minutes);
        lock (gate)
        {
            if (minuteOf[slot] != minute)
            {
                (minuteOf[slot], ended[slot], failed[slot]) = (minute, 0, 0);
            }

            ended[slot]++;
            failed[slot] += isFailure ? 1 : 0;
        }
    }

    public WorkflowRunSummary Summary()
    {
        var now = time.GetUtcNow();
        var oldest = (now.UtcTicks / TimeSpan.TicksPerMinute) - Minutes + 1;
        long endedInWindow = 0, failedInWindow = 0;
        lock (gate)
        {
            for (var i = 0; i < Minutes; i++)
            {
                if (minuteOf[i] >= oldest)
                {
                    endedInWindow += ended[i];
                    failedInWindow += failed[i];
                }
            }
        }

        var last = Volatile.Read(ref lastCompletedTicks);

        // A run that started on another worker and closed here takes one off: never shown below zero.
        return new WorkflowRunSummary(
            Math.Max(0, Interlocked.Read(ref inFlight)),
            last == 0 ? null : new DateTimeOffset(last, TimeSpan.Zero),
            endedInWindow,
            failedInWindow);
    }
}
