using System.Diagnostics;
using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;
using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Marks a span's outcome from an exception, with the failure's type only: a message may quote what a caller
/// sent (document text, a reviewer's comment), so it stays in Temporal's history and never reaches telemetry.
/// </summary>
internal static class SpanStatus
{
    public static void Record(Activity? span, Exception exception, bool cancellationRequested)
    {
        if (span is null)
        {
            return;
        }

        if (exception is ContinueAsNewException)
        {
            span.SetTag(SpanTags.Outcome, "continued_as_new");
            return;
        }

        if (cancellationRequested && IsCancellation(exception))
        {
            // Asked for by a user or a parent: the operation did what it was told.
            span.SetTag(SpanTags.Outcome, "canceled");
            return;
        }

        if (exception is CompleteAsyncException)
        {
            span.SetTag(SpanTags.Outcome, "async_completion");
            return;
        }

        span.SetTag(SpanTags.ErrorType, FailureType(exception));
        if (RunOutcome.IsBenignFailure(exception))
        {
            // Expected by the code that threw it: the type is kept, the span is not an error.
            span.SetTag(SpanTags.Outcome, RunOutcome.BenignFailure);
            return;
        }

        span.SetStatus(ActivityStatusCode.Error, FailureType(exception));
    }

    /// <summary>Marks a workflow span with the run outcome an exception caused.</summary>
    public static void RecordRunOutcome(Activity span, Exception exception, string outcome)
    {
        if (RunOutcome.IsBenign(outcome))
        {
            span.SetTag(SpanTags.Outcome, outcome);
            if (outcome == RunOutcome.BenignFailure)
            {
                span.SetTag(SpanTags.ErrorType, FailureType(exception));
            }

            return;
        }

        span.SetTag(SpanTags.Outcome, outcome);
        span.SetTag(SpanTags.ErrorType, FailureType(exception));
        span.SetStatus(ActivityStatusCode.Error, FailureType(exception));
    }

    /// <summary>
    /// A .NET or Temporal cancellation, also inside an activity, child or Nexus failure (the SDK's own test).
    /// </summary>
    public static bool IsCancellation(Exception exception) => TemporalException.IsCanceledException(exception);

    /// <summary>The application error type when there is one, else the exception's type name.</summary>
    public static string FailureType(Exception exception) => exception switch
    {
        ApplicationFailureException { ErrorType: { Length: > 0 } type } => type,
        _ => exception.GetType().Name,
    };
}
