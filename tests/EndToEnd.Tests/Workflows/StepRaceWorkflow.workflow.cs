using Temporalio.Activities;
using Temporalio.Workflows;

namespace Watchtower.EndToEnd.Tests.Workflows;

/// <summary>
/// Two routines that each issue a command once their await resumes: one after an activity (which
/// the monitoring interceptor wraps), one after a timer (which it does not). When both resume in the
/// same workflow task, the order of their next commands is the order the scheduler resumes them in,
/// which an interceptor must leave as it is.
/// </summary>
[Workflow("StepRace")]
public sealed class StepRaceWorkflow
{
    /// <summary>How long the timer routine waits: the activity's completion normally comes first.</summary>
    public static readonly TimeSpan TimerDelay = TimeSpan.FromSeconds(5);

    private readonly List<string> resumed = [];

    /// <summary>Runs both routines; returns the order they resumed in, e.g. "activity,timer".</summary>
    /// <param name="activityQueue">The task queue of the activity worker.</param>
    /// <returns>The order of resumption.</returns>
    [WorkflowRun]
    public async Task<string> RunAsync(string activityQueue)
    {
        var options = new ActivityOptions { TaskQueue = activityQueue, StartToCloseTimeout = TimeSpan.FromSeconds(30) };
        await Workflow.WhenAllAsync(AfterActivityAsync(options), AfterTimerAsync(options));
        return string.Join(',', resumed);
    }

    private async Task AfterActivityAsync(ActivityOptions options)
    {
        await Workflow.ExecuteActivityAsync(() => StepRaceActivities.Step("first"), options);
        resumed.Add("activity");
        // Ids of their own: replay matches a scheduled activity by id and type, so the two follow-ups
        // must differ in one of them for a swapped order to show.
        await Workflow.ExecuteActivityAsync(() => StepRaceActivities.Step("after-activity"), Options(options, "after-activity"));
    }

    private static ActivityOptions Options(ActivityOptions options, string id)
    {
        var withId = (ActivityOptions)options.Clone();
        withId.ActivityId = id;
        return withId;
    }

    private async Task AfterTimerAsync(ActivityOptions options)
    {
        await Workflow.DelayAsync(TimerDelay);
        resumed.Add("timer");
        await Workflow.ExecuteActivityAsync(() => StepRaceActivities.Step("after-timer"), Options(options, "after-timer"));
    }
}

/// <summary>The race's activity: returns its argument.</summary>
public static class StepRaceActivities
{
    [Activity("stepRaceStep")]
    public static string Step(string name) => name;
}
