using Microsoft.Extensions.Time.Testing;
using Watchtower.Monitoring.Metrics;

namespace Watchtower.Monitoring.Tests;

public sealed class WorkflowRunsTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 6, 9, 0, 30, TimeSpan.Zero));

    [Fact]
    public void Summary_MixOfOutcomes_FailureRatioAsTheAlertsCountIt()
    {
        var runs = new WorkflowRuns(time);
        for (var i = 0; i < 8; i++)
        {
            runs.Started();
        }

        foreach (var outcome in new[] { "completed", "completed", "failed", "timed_out", "benign_failure", "canceled" })
        {
            runs.Closed(outcome);
        }

        var summary = runs.Summary();

        Assert.Equal((2, 4, 2), (summary.InFlight, summary.RecentEnded, summary.RecentFailed));
        Assert.Equal(0.5, summary.RecentFailureRatio);
        Assert.Equal(time.GetUtcNow(), summary.LastCompletedAt);
    }

    [Fact]
    public void Summary_EndsOlderThanTheWindow_Forgotten()
    {
        var runs = new WorkflowRuns(time);
        runs.Closed("failed");
        time.Advance(TimeSpan.FromMinutes(5));
        runs.Closed("completed");
        var completedAt = time.GetUtcNow();

        time.Advance(TimeSpan.FromMinutes(6));
        var summary = runs.Summary();

        Assert.Equal((1, 0), (summary.RecentEnded, summary.RecentFailed));
        Assert.Equal(completedAt, summary.LastCompletedAt);

        time.Advance(TimeSpan.FromHours(1));
        Assert.Null(runs.Summary().RecentFailureRatio);
    }

    [Fact]
    public void Summary_NothingYetAndMoreClosedThanStarted_ZeroInFlightNoCompletion()
    {
        var runs = new WorkflowRuns(time);
        runs.Closed("continued_as_new");

        var summary = runs.Summary();

        Assert.Equal(0, summary.InFlight);
        Assert.Null(summary.LastCompletedAt);
        Assert.Null(summary.RecentFailureRatio);
    }
}
