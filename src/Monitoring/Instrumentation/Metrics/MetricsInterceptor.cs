using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring.Interception;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring.Metrics;

/// <summary>Counts and times client calls, workflows and activities on the library's Meter.</summary>
internal sealed partial class MetricsInterceptor(ILogger<MetricsInterceptor> logger, EmittedKeys emitted)
{
    private int failureReported;

    internal EmittedKeys Emitted => emitted;

    internal WorkflowRuns Runs { get; } = new(TimeProvider.System);

    /// <summary>
    /// Gets or sets a value indicating whether activity allocations are counted; off only to measure what counting
    /// costs.
    /// </summary>
    internal bool MeasureAllocations { get; set; } = true;

    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
        new ClientOutbound(this, nextInterceptor);

    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        InterceptWorkflow(nextInterceptor, new RunEndWatch());

    /// <summary>The workflow's interceptor, sharing the watch on the run's end with the instance's others.</summary>
    public WorkflowInboundInterceptor InterceptWorkflow(
        WorkflowInboundInterceptor nextInterceptor, RunEndWatch runEnd) =>
        new WorkflowInbound(this, nextInterceptor, runEnd);

    /// <summary>A measurement that failed (a listener threw) is dropped; said once, the worker goes on.</summary>
    internal void ReportFailure(Exception exception)
    {
        if (Interlocked.Exchange(ref failureReported, 1) != 0)
        {
            return;
        }

        try
        {
            Log.TelemetryFailed(logger, exception.GetType().Name, exception.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The log sink is what broke: nothing is left to say it with, and the caller must not see it.
        }
    }

    internal static string ActivityOutcome(Exception exception, bool cancellationRequested) => exception switch
    {
        CompleteAsyncException => "async_completion",
        _ when cancellationRequested && SpanStatus.IsCancellation(exception) => RunOutcome.Canceled,
        _ when RunOutcome.IsBenignFailure(exception) => RunOutcome.BenignFailure,
        _ => RunOutcome.Failed,
    };

    /// <summary>
    /// Client call counts and latencies, recorded after the call returns or throws: a listener that throws
    /// costs the measurement, never the call.
    /// </summary>
    private sealed class ClientOutbound(MetricsInterceptor root, ClientOutboundInterceptor next)
        : ClientOutboundInterceptor(next)
    {
        public override async Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(
            StartWorkflowInput input)
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

        public override async Task<WorkflowUpdateHandle<TResult>> StartWorkflowUpdateAsync<TResult>(
            StartWorkflowUpdateInput input)
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

        public override async Task<WorkflowUpdateHandle<TUpdateResult>>
            StartUpdateWithStartWorkflowAsync<TUpdateResult>(StartUpdateWithStartWorkflowInput input)
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

        private void Record(string operation, string outcome, long started)
        {
            try
            {
                var tags = new TagList
                {
                    { WorkerMetrics.Operation, operation },
                    { WorkerMetrics.Outcome, outcome },
                };
                WorkerMetrics.ClientRequests.Add(1, tags);
                WorkerMetrics.ClientRequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                root.ReportFailure(e);
            }
        }
    }
}
