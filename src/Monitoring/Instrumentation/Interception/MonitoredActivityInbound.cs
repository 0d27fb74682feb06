using System.Diagnostics;
using OpenTelemetry;
using Temporalio.Activities;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring.Metrics;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring.Interception;

/// <summary>
/// One activity execution's span and measurements, in a single link of the interceptor chain: the
/// hot path of the library. An activity that completes synchronously costs no async state machine.
/// Telemetry that throws is dropped, never passed to the activity or the SDK.
/// </summary>
internal sealed class MonitoredActivityInbound(
    TracingInterceptor? tracing, MetricsInterceptor? metrics, ActivityInboundInterceptor next)
    : ActivityInboundInterceptor(next), IAllocationCounter
{
    private TracingInterceptor? tracing = tracing;
    private MetricsInterceptor? metrics = metrics;
    private ActivityMeters.Measurement measurement;
    private long allocated;

    public override void Init(ActivityOutboundInterceptor outbound)
    {
        if (DuplicateInterceptorGuard<TracingInterceptor>.IsInnerCopy)
        {
            tracing = null;
        }

        if (DuplicateInterceptorGuard<MetricsInterceptor>.IsInnerCopy)
        {
            metrics = null;
        }

        using var tracingMark =
            DuplicateInterceptorGuard<TracingInterceptor>.InitializingAsOuterCopy(tracing is not null);
        using var metricsMark =
            DuplicateInterceptorGuard<MetricsInterceptor>.InitializingAsOuterCopy(metrics is not null);
        base.Init(metrics is null ? outbound : new HeartbeatCounter(this, metrics, outbound));
    }

    public override Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
    {
        if (tracing is null && metrics is null)
        {
            return Next.ExecuteActivityAsync(input);
        }

        var context = ActivityExecutionContext.Current;
        var previous = Activity.Current;
        Baggage? previousBaggage = null;
        Activity? span = null;
        try
        {
            if (tracing is not null)
            {
                // The caller's baggage is read only when a header brings baggage to replace it.
                span = tracing.StartActivitySpan(context.Info, input.Headers, out previousBaggage);
            }

            if (metrics is not null)
            {
                measurement = ActivityMeters.Begin(context.Info);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Report(e);
        }

        // Counted from here: the activity's own code, not the span and measurement set up above.
        var counting = metrics is { MeasureAllocations: true };
        var beforeCounting = counting ? AllocationMeter.Enter(this) : null;
        Task<object?> task;
        try
        {
            task = Next.ExecuteActivityAsync(input);
        }
        catch (Exception e)
        {
            if (counting)
            {
                AllocationMeter.Leave(beforeCounting);
            }

            End(span, e, context);
            throw;
        }

        if (counting)
        {
            AllocationMeter.Leave(beforeCounting);
        }

        if (task.IsCompleted)
        {
            End(span, task.IsCompletedSuccessfully ? null : Unwrap(task), context);
        }
        else
        {
            // The span stays current for the activity's own code, which captured it already; the
            // caller goes on with what was current before.
            Activity.Current = previous;
            task = AwaitAsync(task, span, context);
        }

        if (previousBaggage is { } restore)
        {
            Baggage.Current = restore;
        }

        return task;
    }

    private static Exception Unwrap(Task task) =>
        task.Exception?.InnerException ?? new TaskCanceledException(task);

    private async Task<object?> AwaitAsync(Task<object?> task, Activity? span, ActivityExecutionContext context)
    {
        object? result;
        try
        {
            result = await task.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            End(span, e, context);
            throw;
        }

        End(span, null, context);
        return result;
    }

    /// <summary>Ends the span and the measurement; never throws.</summary>
    private void End(Activity? span, Exception? exception, ActivityExecutionContext context)
    {
        try
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

            if (metrics is not null && measurement.InFlight is not null)
            {
                ActivityMeters.End(
                    measurement,
                    exception is null
                        ? "completed"
                        : MetricsInterceptor.ActivityOutcome(exception, cancellationRequested),
                    Interlocked.Read(ref allocated));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Report(e);
        }
    }

    void IAllocationCounter.Add(long bytes) => Interlocked.Add(ref allocated, bytes);

    private void Report(Exception exception)
    {
        tracing?.ReportFailure(exception);
        metrics?.ReportFailure(exception);
    }

    private sealed class HeartbeatCounter(
        MonitoredActivityInbound execution,
        MetricsInterceptor metrics,
        ActivityOutboundInterceptor next) : ActivityOutboundInterceptor(next)
    {
        public override void Heartbeat(HeartbeatInput input)
        {
            try
            {
                // Unset when beginning the measurement failed: the heartbeat then goes uncounted.
                if (execution.measurement.InFlight is not null)
                {
                    ActivityMeters.Heartbeat(execution.measurement);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                metrics.ReportFailure(e);
            }

            base.Heartbeat(input);
        }
    }
}
