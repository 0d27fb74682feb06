namespace Watchtower.Monitoring;

/// <summary>
/// This worker's workflow runs as an operator first asks about them, from
/// <see cref="TemporalMonitoringInterceptor.GetWorkflowRunSummary"/>: counted once a run, never on replay, by the
/// worker that started or closed it.
/// </summary>
public sealed class WorkflowRunSummary
{
    internal WorkflowRunSummary(long inFlight, DateTimeOffset? lastCompletedAt, long recentEnded, long recentFailed)
    {
        InFlight = inFlight;
        LastCompletedAt = lastCompletedAt;
        RecentEnded = recentEnded;
        RecentFailed = recentFailed;
    }

    /// <summary>Gets the window <see cref="RecentEnded"/> and <see cref="RecentFailed"/> cover.</summary>
    public static TimeSpan RecentWindow => Metrics.WorkflowRuns.Window;

    /// <summary>Gets the runs started here and not yet closed here.</summary>
    public long InFlight { get; }

    /// <summary>Gets when a run last completed here, if one has.</summary>
    public DateTimeOffset? LastCompletedAt { get; }

    /// <summary>Gets the runs that completed, failed or timed out here within <see cref="RecentWindow"/>.</summary>
    public long RecentEnded { get; }

    /// <summary>Gets, of those, the failed and timed out ones (failures marked benign are not failures).</summary>
    public long RecentFailed { get; }

    /// <summary>Gets the failed share of the runs that ended recently, or null when none did.</summary>
    public double? RecentFailureRatio => RecentEnded == 0 ? null : (double)RecentFailed / RecentEnded;
}
