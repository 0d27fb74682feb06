using System.Collections.Concurrent;
using System.Reflection;
using Temporalio.Api.Enums.V1;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Watchtower.Monitoring.Interception;

/// <summary>
/// How an exception out of workflow code ends the run, decided as the SDK decides it: continue-as-new,
/// a cancellation that was asked for, and failure exceptions (Temporal failures, .NET cancellations,
/// and the types the workflow declares in <see cref="WorkflowAttribute.FailureExceptionTypes"/>) end
/// it; anything else only fails the workflow task, which the server retries while the run goes on.
/// </summary>
internal static class RunOutcome
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
    public const string TimedOut = "timed_out";
    public const string ContinuedAsNew = "continued_as_new";

    /// <summary>
    /// A failure its code marked <see cref="ApplicationErrorCategory.Benign"/>: expected (a poll that found nothing
    /// yet, a request refused as a matter of course), so not an error on spans nor in failure ratios.
    /// </summary>
    public const string BenignFailure = "benign_failure";

    private static readonly ConcurrentDictionary<Type, Type[]> DeclaredFailures = new();

    /// <summary>The outcome, or null when the exception fails only the workflow task.</summary>
    public static string? Of(Exception exception)
    {
        if (exception is ContinueAsNewException)
        {
            return ContinuedAsNew;
        }

        if (Workflow.CancellationToken.IsCancellationRequested && TemporalException.IsCanceledException(exception))
        {
            return Canceled;
        }

        if (exception is FailureException or OperationCanceledException || IsDeclaredFailure(exception))
        {
            return IsTimeout(exception) ? TimedOut : IsBenignFailure(exception) ? BenignFailure : Failed;
        }

        return null;
    }

    /// <summary>Whether the outcome is one nobody needs to be alerted about.</summary>
    public static bool IsBenign(string outcome) => outcome is Completed or ContinuedAsNew or Canceled or BenignFailure;

    /// <summary>
    /// Whether the failure is an application failure marked benign, also when an activity's or a child's failure
    /// carries it. Only those wrappers are looked through: an application failure of its own decides by its own
    /// category, whatever benign cause it names, since the code that threw it chose to fail.
    /// </summary>
    public static bool IsBenignFailure(Exception exception)
    {
        // Wrappers nest a few levels at most (a child's activity); the bound only guards against a cycle.
        var e = exception;
        for (var depth = 0; e is not null && depth < 16; e = e.InnerException, depth++)
        {
            switch (e)
            {
                case ApplicationFailureException application:
                    return application.Category == ApplicationErrorCategory.Benign;
                case ActivityFailureException or ChildWorkflowFailureException:
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    private static bool IsDeclaredFailure(Exception exception)
    {
        var declared = DeclaredFailures.GetOrAdd(Workflow.Instance.GetType(), static type =>
            type.GetCustomAttribute<WorkflowAttribute>()?.FailureExceptionTypes ?? []);
        foreach (var type in declared)
        {
            if (type.IsInstanceOfType(exception))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTimeout(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutFailureException)
            {
                return true;
            }
        }

        return false;
    }
}
