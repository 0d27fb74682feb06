using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;
using Watchtower.Monitoring.Interception;
using Watchtower.Monitoring.Labels;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Workflow counts. A run is counted as started by the task that starts it and as closed by the
/// task that closes it; neither happens while replaying, so a run resumed after a cache eviction or on
/// another worker is still counted once each way. The measurements themselves are made off the workflow's
/// thread (<see cref="WorkflowRecorder"/>).
/// </summary>
internal sealed partial class MetricsInterceptor
{
    private sealed class WorkflowInbound(
        MetricsInterceptor root,
        WorkflowInboundInterceptor next,
        RunEndWatch runEnd) : WorkflowInboundInterceptor(next), ITaskEndListener
    {
        private bool passThrough;
        private WorkflowRecorder.RunLabels? labels;
        private long signalSequence;

        private WorkflowRecorder.RunLabels Labels => labels ??= new(
            MetricLabels.Namespaces.Admit(Workflow.Info.Namespace),
            MetricLabels.TaskQueues.Admit(Workflow.Info.TaskQueue),
            MetricLabels.WorkflowTypes.Ran(Workflow.Info.WorkflowType));

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
                if (!Workflow.Unsafe.IsReplayingHistoryEvents && Once("metrics:started"))
                {
                    WorkflowRecorder.Started(root, Labels);
                    root.Runs.Started();
                }

                Task<object?> task;
                try
                {
                    task = Next.ExecuteWorkflowAsync(input);
                }
                catch (Exception e)
                {
                    ((ITaskEndListener)this).Ended(e);
                    throw;
                }

                runEnd.Observe(task, this);
                return task;
            });
        }

        /// <summary>
        /// The run's task ended: closed as done, or with a run outcome (failed, cancelled, continued as new). Any other
        /// exception fails the workflow task, which is retried: the run goes on.
        /// </summary>
        void ITaskEndListener.Ended(Exception? exception)
        {
            if (exception is null)
            {
                Close(RunOutcome.Completed);
            }
            else if (RunOutcome.Of(exception) is { } outcome)
            {
                Close(outcome);
            }
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
                        Handled(WorkflowRecorder.Handler.Signal, RunOutcome.Completed, "metrics:signal", sequence);
                    }
                    else if (RunOutcome.Of(e) is { } outcome)
                    {
                        // Thrown from a signal handler, a failure (or continue-as-new) ends the whole run.
                        Handled(WorkflowRecorder.Handler.Signal, "failed", "metrics:signal", sequence);
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
                Count(WorkflowRecorder.Handler.Query, "failed");
                throw;
            }

            Count(WorkflowRecorder.Handler.Query, RunOutcome.Completed);
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
                Count(WorkflowRecorder.Handler.Update, "rejected");
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
                        Handled(WorkflowRecorder.Handler.Update, RunOutcome.Completed, "metrics:update:" + input.Id, 0);
                    }
                    else if (RunOutcome.Of(e) is not null)
                    {
                        // The update failed; any other exception fails the workflow task and is retried.
                        Handled(WorkflowRecorder.Handler.Update, "failed", "metrics:update:" + input.Id, 0);
                    }
                });
            });
        }

        private void Close(string outcome)
        {
            if (Workflow.Unsafe.IsReplayingHistoryEvents || !Once("metrics:closed"))
            {
                return;
            }

            try
            {
                root.Runs.Closed(outcome);

                // Wall clock, not Workflow.UtcNow: the close is happening now, outside replay, and the
                // workflow task's own processing belongs in the figure.
                WorkflowRecorder.Closed(
                    root,
                    Labels,
                    outcome,
                    Math.Max(0, (DateTime.UtcNow - Workflow.Info.WorkflowStartTime).TotalSeconds));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                root.ReportFailure(e);
            }
        }

        /// <summary>Counts a handled signal or update once, never on replay.</summary>
        private void Handled(WorkflowRecorder.Handler handler, string outcome, string key, long sequence)
        {
            if (!Workflow.Unsafe.IsReplayingHistoryEvents && Once(key, sequence))
            {
                Count(handler, outcome);
            }
        }

        /// <summary>
        /// See <see cref="EmittedKeys"/>: a run's start, close and handlers are counted once per worker.
        /// </summary>
        private bool Once(string key, long sequence = 0) =>
            root.Emitted.TryClaim(SpanIds.ForSpan(Workflow.Info.RunId, key, sequence));

        // Recorded on the thread pool, which reports a listener that throws.
        private void Count(WorkflowRecorder.Handler handler, string outcome) =>
            WorkflowRecorder.Counted(root, handler, Labels, outcome);
    }
}
