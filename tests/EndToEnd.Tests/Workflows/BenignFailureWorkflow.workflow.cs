using Temporalio.Api.Enums.V1;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Watchtower.EndToEnd.Tests.Workflows;

/// <summary>
/// Fails the way code does on purpose: an activity refuses with a benign failure, and the run ends with one.
/// </summary>
[Workflow("BenignFailure")]
public sealed class BenignFailureWorkflow
{
    [WorkflowRun]
    public async Task RunAsync()
    {
        try
        {
            await Workflow.ExecuteActivityAsync(
                () => BenignFailureActivities.Refuse(),
                new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
        }
        catch (ActivityFailureException)
        {
            throw new ApplicationFailureException(
                "nothing to do yet", "NothingToDo", nonRetryable: true, category: ApplicationErrorCategory.Benign);
        }
    }
}

/// <summary>The activity that refuses.</summary>
public static class BenignFailureActivities
{
    [Temporalio.Activities.Activity("refuseBenignly")]
    public static void Refuse() =>
        throw new ApplicationFailureException(
            "not ready", "NotReady", nonRetryable: true, category: ApplicationErrorCategory.Benign);
}
