using System.Diagnostics;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring.Metrics;

/// <summary>Counts and times client calls, workflows and activities on the library's Meter.</summary>
internal sealed partial class MetricsInterceptor : IClientInterceptor, IWorkerInterceptor
{
    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
        new ClientOutbound(nextInterceptor);

    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        new WorkflowInbound(nextInterceptor);

    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        new ActivityInbound(nextInterceptor);

    private static string ActivityOutcome(Exception exception, bool cancellationRequested) => exception switch
    {
        CompleteAsyncException => "async_completion",
        _ when cancellationRequested && SpanStatus.IsCancellation(exception) => "canceled",
        _ => "failed",
    };

    private sealed class ClientOutbound(ClientOutboundInterceptor next) : ClientOutboundInterceptor(next)
    {
        public override async Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(StartWorkflowInput input)
        {
            var operation = input.Options.StartSignal is null ? "start" : "signal_with_start";
            var started = Stopwatch.GetTimestamp();
            try
            {
                var handle = await base.StartWorkflowAsync<TWorkflow, TResult>(input).ConfigureAwait(false);
                Record(operation, "ok", started);
                return handle;
            }
            catch (Exception)
            {
                Record(operation, "failed", started);
                throw;
            }
        }

        public override async Task SignalWorkflowAsync(SignalWorkflowInput input)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await base.SignalWorkflowAsync(input).ConfigureAwait(false);
                Record("signal", "ok", started);
            }
            catch (Exception)
            {
                Record("signal", "failed", started);
                throw;
            }
        }

        public override async Task<TResult> QueryWorkflowAsync<TResult>(QueryWorkflowInput input)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await base.QueryWorkflowAsync<TResult>(input).ConfigureAwait(false);
                Record("query", "ok", started);
                return result;
            }
            catch (Exception)
            {
                Record("query", "failed", started);
                throw;
            }
        }

        public override async Task<WorkflowUpdateHandle<TResult>> StartWorkflowUpdateAsync<TResult>(StartWorkflowUpdateInput input)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var handle = await base.StartWorkflowUpdateAsync<TResult>(input).ConfigureAwait(false);
                Record("update", "ok", started);
                return handle;
            }
            catch (Exception)
            {
                Record("update", "failed", started);
                throw;
            }
        }

        public override async Task<WorkflowUpdateHandle<TUpdateResult>> StartUpdateWithStartWorkflowAsync<TUpdateResult>(StartUpdateWithStartWorkflowInput input)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var handle = await base.StartUpdateWithStartWorkflowAsync<TUpdateResult>(input).ConfigureAwait(false);
                Record("update_with_start", "ok", started);
                return handle;
            }
            catch (Exception)
            {
                Record("update_with_start", "failed", started);
                throw;
            }
        }

        private static void Record(string operation, string outcome, long started)
        {
            var tags = new TagList
            {
                { WorkerMetrics.Operation, operation },
                { WorkerMetrics.Outcome, outcome },
            };
            WorkerMetrics.ClientRequests.Add(1, tags);
            WorkerMetrics.ClientRequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    private sealed class ActivityInbound(ActivityInboundInterceptor next) : ActivityInboundInterceptor(next)
    {
        // See TracingInterceptor: the outer of two copies marks the chain while it initialises.
        [ThreadStatic]
        private static bool initializing;

        private bool passThrough;
        private TagList tags;

        public override void Init(ActivityOutboundInterceptor outbound)
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
                base.Init(new ActivityOutbound(this, outbound));
            }
            finally
            {
                initializing = false;
            }
        }

        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            if (passThrough)
            {
                return await Next.ExecuteActivityAsync(input).ConfigureAwait(false);
            }

            var context = ActivityExecutionContext.Current;
            var info = context.Info;
            tags = new TagList
            {
                { WorkerMetrics.Namespace, info.Namespace },
                { WorkerMetrics.TaskQueue, info.TaskQueue },
                { WorkerMetrics.ActivityType, info.ActivityType },
                { WorkerMetrics.Local, info.IsLocal ? BoxedTrue : BoxedFalse },
            };
            var started = Stopwatch.GetTimestamp();
            WorkerMetrics.ActivitiesInFlight.Add(1, tags);
            WorkerMetrics.ActivityAttempt.Record(info.Attempt, tags);
            var waited = info.StartedTime - info.CurrentAttemptScheduledTime;
            if (waited >= TimeSpan.Zero)
            {
                WorkerMetrics.ActivityScheduleToStart.Record(waited.TotalSeconds, tags);
            }

            var outcome = "failed";
            try
            {
                var result = await Next.ExecuteActivityAsync(input).ConfigureAwait(false);
                outcome = "completed";
                return result;
            }
            catch (Exception e)
            {
                outcome = ActivityOutcome(e, context.CancellationToken.IsCancellationRequested);
                throw;
            }
            finally
            {
                WorkerMetrics.ActivitiesInFlight.Add(-1, tags);
                var done = tags;
                done.Add(WorkerMetrics.Outcome, outcome);
                WorkerMetrics.ActivityExecutions.Add(1, done);
                WorkerMetrics.ActivityDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, done);
            }
        }

        public void Heartbeat() => WorkerMetrics.ActivityHeartbeats.Add(1, tags);

        private static readonly object BoxedTrue = "true";
        private static readonly object BoxedFalse = "false";
    }

    private sealed class ActivityOutbound(ActivityInbound owner, ActivityOutboundInterceptor next) : ActivityOutboundInterceptor(next)
    {
        public override void Heartbeat(HeartbeatInput input)
        {
            owner.Heartbeat();
            base.Heartbeat(input);
        }
    }
}
