using System.Diagnostics;
using Temporalio.Activities;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring.Metrics;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring;

/// <summary>
/// One activity execution's span and measurements, in a single link of the interceptor chain: the
/// hot path of the library. An activity that completes synchronously costs no async state machine.
/// </summary>
internal sealed class MonitoredActivityInbound(TracingInterceptor? tracing, MetricsInterceptor? metrics, ActivityInboundInterceptor next)
    : ActivityInboundInterceptor(next)
{
    // A worker that shares a client carrying the interceptor gets it twice. Init runs synchronously
    // down the chain before execution, so the outer copy marks what it records and the inner copy
    // leaves that out.
    [ThreadStatic]
    private static bool outerTraces;

    [ThreadStatic]
    private static bool outerMeasures;

    private TracingInterceptor? tracing = tracing;
    private MetricsInterceptor? metrics = metrics;
    private ActivityMeters.Measurement measurement;

    public override void Init(ActivityOutboundInterceptor outbound)
    {
        if (outerTraces)
        {
            tracing = null;
        }

        if (outerMeasures)
        {
            metrics = null;
        }

        var (tracedBefore, measuredBefore) = (outerTraces, outerMeasures);
        outerTraces |= tracing is not null;
        outerMeasures |= metrics is not null;
        try
        {
            base.Init(metrics is null ? outbound : new HeartbeatCounter(outbound));
        }
        finally
        {
            (outerTraces, outerMeasures) = (tracedBefore, measuredBefore);
        }
    }

    public override Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
    {
        if (tracing is null && metrics is null)
        {
            return Next.ExecuteActivityAsync(input);
        }

        var context = ActivityExecutionContext.Current;
        var info = context.Info;
        var previous = Activity.Current;
        var span = tracing?.StartActivitySpan(info, input.Headers);
        if (metrics is not null)
        {
            measurement = ActivityMeters.Begin(info);
        }

        Task<object?> task;
        try
        {
            task = Next.ExecuteActivityAsync(input);
        }
        catch (Exception e)
        {
            End(span, e, context);
            throw;
        }

        if (task.IsCompleted)
        {
            End(span, task.IsCompletedSuccessfully ? null : Unwrap(task), context);
            return task;
        }

        // The span stays current for the activity's own code, which captured it already; the
        // caller goes on with what was current before.
        Activity.Current = previous;
        return AwaitAsync(task, span, context);
    }

    private static Exception Unwrap(Task task) =>
        task.Exception?.InnerException ?? new TaskCanceledException(task);

    private async Task<object?> AwaitAsync(Task<object?> task, Activity? span, ActivityExecutionContext context)
    {
        try
        {
            var result = await task.ConfigureAwait(false);
            End(span, null, context);
            return result;
        }
        catch (Exception e)
        {
            End(span, e, context);
            throw;
        }
    }

    private void End(Activity? span, Exception? exception, ActivityExecutionContext context)
    {
        var cancellationRequested = exception is not null && context.CancellationToken.IsCancellationRequested;
        if (span is not null)
        {
            if (exception is not null)
            {
                SpanStatus.Record(span, exception, cancellationRequested);
            }

            span.Dispose();
        }

        if (metrics is not null)
        {
            ActivityMeters.End(measurement, context.Info, exception is null ? "completed" : MetricsInterceptor.ActivityOutcome(exception, cancellationRequested));
        }
    }

    private static void Heartbeat() => ActivityMeters.Heartbeat(ActivityExecutionContext.Current.Info);

    private sealed class HeartbeatCounter(ActivityOutboundInterceptor next) : ActivityOutboundInterceptor(next)
    {
        public override void Heartbeat(HeartbeatInput input)
        {
            MonitoredActivityInbound.Heartbeat();
            base.Heartbeat(input);
        }
    }
}
