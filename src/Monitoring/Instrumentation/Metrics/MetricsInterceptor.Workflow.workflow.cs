using System.Diagnostics;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;
using Watchtower.Monitoring.Interception;
using Watchtower.Monitoring.Labels;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Workflow counts. A run is counted as started by the task that starts it and as closed by the
/// task that closes it; neither happens while replaying, so a run resumed after a cache eviction or on
/// another worker is still counted once each way.
/// </summary>
internal sealed partial class MetricsInterceptor
{
    private sealed class WorkflowInbound(
        MetricsInterceptor root,
        WorkflowInboundInterceptor next) : WorkflowInboundInterceptor(next)
    {
        private bool passThrough;
        private TagList? tags;
        private long signalSequence;

        private TagList Tags => tags ??= new TagList
        {
            { WorkerMetrics.Namespace, MetricLabels.Namespaces.Admit(Workflow.Info.Namespace) },
            { WorkerMetrics.TaskQueue, MetricLabels.TaskQueues.Admit(Workflow.Info.TaskQueue) },
            { WorkerMetrics.WorkflowType, MetricLabels.WorkflowTypes.Ran(Workflow.Info.WorkflowType) },
        };

        public override void Init(WorkflowOutboundInterceptor outbound)
        {
            passThrough = DuplicateInterceptorGuard<MetricsInterceptor>.IsInnerCopy;
            using var mark = DuplicateInterceptorGuard<MetricsInterceptor>.InitializingAsOuterCopy(!passThrough);
            base.Init(outbound);
        }

        // No await in these handlers: see TaskEndObserver.
        public override Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            if (passThrough)
            {
                return Next.ExecuteWorkflowAsync(input);
            }

            return TaskEndObserver.CatchIntoTask(() =>
            {
                // In flight goes up with the count of starts and down with the count of closes, never in a
                // finally: an evicted instance is dropped without its pending code ever running again.
                if (!Workflow.Unsafe.IsReplayingHistoryEvents && Once("started"))
                {
                    WorkerMetrics.WorkflowsStarted.Add(1, Tags);
                    WorkerMetrics.WorkflowsInFlight.Add(1, Tags);
                    root.Runs.Started();
                }

                return TaskEndObserver.Observe(() => Next.ExecuteWorkflowAsync(input), e =>
                {
                    if (e is null)
                    {
                        Close(RunOutcome.Completed);
                    }
                    else if (RunOutcome.Of(e) is { } outcome)
                    {
                        Close(outcome);
                    }
                });
            });
        }

        public override Task HandleSignalAsync(HandleSignalInput input)
        {
            if (passThrough)
            {
                return Next.HandleSignalAsync(input);
            }

            return TaskEndObserver.CatchIntoTask(() =>
            {
                var sequence = ++signalSequence;
                return TaskEndObserver.Observe(() => Next.HandleSignalAsync(input), e =>
                {
                    if (e is null)
                    {
                        Handled(WorkerMetrics.Signals, RunOutcome.Completed, "signal", sequence);
                    }
                    else if (RunOutcome.Of(e) is { } outcome)
                    {
                        // Thrown from a signal handler, a failure (or continue-as-new) ends the whole run.
                        Handled(WorkerMetrics.Signals, "failed", "signal", sequence);
                        Close(outcome);
                    }
                });
            });
        }

        public override object? HandleQuery(HandleQueryInput input)
        {
            if (passThrough)
            {
                return Next.HandleQuery(input);
            }

            object? result;
            try
            {
                result = Next.HandleQuery(input);
            }
            catch (Exception)
            {
                Count(WorkerMetrics.Queries, "failed");
                throw;
            }

            Count(WorkerMetrics.Queries, RunOutcome.Completed);
            return result;
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

        public override Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            if (passThrough)
            {
                return Next.HandleUpdateAsync(input);
            }

            return TaskEndObserver.CatchIntoTask(() =>
            {
                return TaskEndObserver.Observe(() => Next.HandleUpdateAsync(input), e =>
                {
                    if (e is null)
                    {
                        Handled(WorkerMetrics.Updates, RunOutcome.Completed, "update:" + input.Id, 0);
                    }
                    else if (RunOutcome.Of(e) is not null)
                    {
                        // The update failed; any other exception fails the workflow task and is retried.
                        Handled(WorkerMetrics.Updates, "failed", "update:" + input.Id, 0);
                    }
                });
            });
        }

        private void Close(string outcome)
        {
            if (Workflow.Unsafe.IsReplayingHistoryEvents || !Once("closed"))
            {
                return;
            }

            try
            {
                root.Runs.Closed(outcome);
                WorkerMetrics.WorkflowsInFlight.Add(-1, Tags);
                var closed = Tags;
                closed.Add(WorkerMetrics.Outcome, outcome);
                WorkerMetrics.WorkflowsClosed.Add(1, closed);

                // Wall clock, not Workflow.UtcNow: the close is happening now, outside replay, and the
                // workflow task's own processing belongs in the figure.
                WorkerMetrics.WorkflowDuration.Record(
                    Math.Max(0, (DateTime.UtcNow - Workflow.Info.WorkflowStartTime).TotalSeconds),
                    closed);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                root.ReportFailure(e);
            }
        }

        /// <summary>Counts a handled signal or update once, never on replay.</summary>
        private void Handled(
            System.Diagnostics.Metrics.Counter<long> counter,
            string outcome,
            string what,
            long sequence)
        {
            if (!Workflow.Unsafe.IsReplayingHistoryEvents && Once(what, sequence))
            {
                Count(counter, outcome);
            }
        }

        /// <summary>
        /// See <see cref="EmittedKeys"/>: a run's start, close and handlers are counted once per worker.
        /// </summary>
        private bool Once(string what, long sequence = 0) =>
            root.Emitted.TryClaim(SpanIds.ForSpan(Workflow.Info.RunId, "metrics:" + what, sequence));

        private void Count(System.Diagnostics.Metrics.Counter<long> counter, string outcome)
        {
            try
            {
                var counted = Tags;
                counted.Add(WorkerMetrics.Outcome, outcome);
                counter.Add(1, counted);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                root.ReportFailure(e);
            }
        }
    }
}
