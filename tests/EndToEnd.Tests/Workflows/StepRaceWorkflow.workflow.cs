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
    /// <summary>
    /// How long the timer routine waits: long enough for the test to stop its first worker and
    /// release the activity, so the activity's completion comes first.
    /// </summary>
    public static readonly TimeSpan TimerDelay = TimeSpan.FromSeconds(10);

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
        await Workflow.ExecuteActivityAsync((StepRaceActivities a) => a.StepAsync("first"), options);
        resumed.Add("activity");
        // Ids of their own: replay matches a scheduled activity by id and type, so the two follow-ups
        // must differ in one of them for a swapped order to show.
        await Workflow.ExecuteActivityAsync(
            (StepRaceActivities a) => a.StepAsync("after-activity"),
            Options(options, "after-activity"));
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
        await Workflow.ExecuteActivityAsync(
            (StepRaceActivities a) => a.StepAsync("after-timer"),
            Options(options, "after-timer"));
    }
}

/// <summary>The race's activity: returns its argument; the first step holds until the test releases it.</summary>
/// <param name="released">Completes when the first step may finish.</param>
public sealed class StepRaceActivities(Task released)
{
    /// <summary>Returns the step's name, once released if it is the first.</summary>
    /// <param name="name">The step.</param>
    /// <returns>The same name.</returns>
    [Activity("stepRaceStep")]
    public async Task<string> StepAsync(string name)
    {
        if (name == "first")
        {
            await released.WaitAsync(ActivityExecutionContext.Current.CancellationToken);
        }

        return name;
    }
}
