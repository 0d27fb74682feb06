using System.Diagnostics;
using Temporalio.Exceptions;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Workflow counts. A run is counted as started by the task that starts it and as closed by the
/// task that closes it; neither happens while replaying, so a run resumed after a cache eviction or on
/// another worker is still counted exactly once each way.
/// </summary>
internal sealed partial class MetricsInterceptor
{
    private sealed class WorkflowInbound(WorkflowInboundInterceptor next) : WorkflowInboundInterceptor(next)
    {
        // See TracingInterceptor: the outer of two copies marks the chain while it initialises.
        [ThreadStatic]
        private static bool initializing;

        private bool passThrough;
        private TagList? tags;
        private long signalSequence;

        private TagList Tags => tags ??= new TagList
        {
            { WorkerMetrics.Namespace, Workflow.Info.Namespace },
            { WorkerMetrics.TaskQueue, Workflow.Info.TaskQueue },
            { WorkerMetrics.WorkflowType, Workflow.Info.WorkflowType },
        };

        public override void Init(WorkflowOutboundInterceptor outbound)
        {
            if (initializing)
            {
                passThrough = true;
                base.Init(outbound);
                return;
            }

            initializing = true;
            try
            {
                base.Init(outbound);
            }
            finally
            {
                initializing = false;
            }
        }

        public override async Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            if (passThrough)
            {
                return await Next.ExecuteWorkflowAsync(input);
            }

            // In flight goes up with the count of starts and down with the count of closes, never in a
            // finally: an evicted instance is dropped without its pending code ever running again. A run
            // that moves to another worker is thus up on one and down on the other; the sum over the
            // workers is the number of open runs.
            if (!Workflow.Unsafe.IsReplayingHistoryEvents && Once("started"))
            {
                WorkerMetrics.WorkflowsStarted.Add(1, Tags);
                WorkerMetrics.WorkflowsInFlight.Add(1, Tags);
            }

            try
            {
                var result = await Next.ExecuteWorkflowAsync(input);
                Close("completed");
                return result;
            }
            catch (Exception e) when (Outcome(e) is { } outcome)
            {
                Close(outcome);
                throw;
            }
        }

        public override async Task HandleSignalAsync(HandleSignalInput input)
        {
            if (passThrough)
            {
                await Next.HandleSignalAsync(input);
                return;
            }

            var outcome = "failed";
            var sequence = ++signalSequence;
            try
            {
                await Next.HandleSignalAsync(input);
                outcome = "completed";
            }
            finally
            {
                if (!Workflow.Unsafe.IsReplayingHistoryEvents && Once("signal", sequence))
                {
                    Count(WorkerMetrics.Signals, outcome);
                }
            }
        }

        public override object? HandleQuery(HandleQueryInput input)
        {
            if (passThrough)
            {
                return Next.HandleQuery(input);
            }

            var outcome = "failed";
            try
            {
                var result = Next.HandleQuery(input);
                outcome = "completed";
                return result;
            }
            finally
            {
                Count(WorkerMetrics.Queries, outcome);
            }
        }

        public override void ValidateUpdate(HandleUpdateInput input)
        {
            if (passThrough)
            {
                Next.ValidateUpdate(input);
                return;
            }

            try
            {
                Next.ValidateUpdate(input);
            }
            catch (Exception)
            {
                Count(WorkerMetrics.Updates, "rejected");
                throw;
            }
        }

        public override async Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            if (passThrough)
            {
                return await Next.HandleUpdateAsync(input);
            }

            var outcome = "failed";
            try
            {
                var result = await Next.HandleUpdateAsync(input);
                outcome = "completed";
                return result;
            }
            finally
            {
                if (!Workflow.Unsafe.IsReplayingHistoryEvents && Once("update:" + input.Id))
                {
                    Count(WorkerMetrics.Updates, outcome);
                }
            }
        }

        /// <summary>
        /// The run's outcome, or null when the exception fails only the workflow task (the server
        /// retries it and the run goes on).
        /// </summary>
        private static string? Outcome(Exception exception) => exception switch
        {
            ContinueAsNewException => "continued_as_new",
            _ when Workflow.CancellationToken.IsCancellationRequested && Tracing.SpanStatus.IsCancellation(exception) => "canceled",
            FailureException when IsTimeout(exception) => "timed_out",
            FailureException => "failed",
            _ => null,
        };

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

        private void Close(string outcome)
        {
            if (Workflow.Unsafe.IsReplayingHistoryEvents || !Once("closed"))
            {
                return;
            }

            WorkerMetrics.WorkflowsInFlight.Add(-1, Tags);
            var closed = Tags;
            closed.Add(WorkerMetrics.Outcome, outcome);
            WorkerMetrics.WorkflowsClosed.Add(1, closed);

            // Wall clock, not Workflow.UtcNow: the close is happening now, outside replay, and the
            // workflow task's own processing belongs in the figure.
            WorkerMetrics.WorkflowDuration.Record(Math.Max(0, (DateTime.UtcNow - Workflow.Info.WorkflowStartTime).TotalSeconds), closed);
        }

        /// <summary>See <see cref="Tracing.EmittedOnce"/>: a run's start and close are counted once per process.</summary>
        private static bool Once(string what, long sequence = 0) =>
            Tracing.EmittedOnce.TryClaim(Tracing.EmittedOnce.Key(Tracing.SpanIds.ForSpan(Workflow.Info.RunId, "metrics:" + what, sequence)));

        private void Count(System.Diagnostics.Metrics.Counter<long> counter, string outcome)
        {
            var counted = Tags;
            counted.Add(WorkerMetrics.Outcome, outcome);
            counter.Add(1, counted);
        }
    }
}
