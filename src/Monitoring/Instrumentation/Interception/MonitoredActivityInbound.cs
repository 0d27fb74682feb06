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
    : ActivityInboundInterceptor(next), IAllocationCounter, IThreadPoolWorkItem
{
    private static readonly object AllocationRecorded = new();

    private TracingInterceptor? tracing = tracing;
    private MetricsInterceptor? metrics = metrics;
    private ActivityMeters.Measurement measurement;

    // Bytes and threads inside the execution's code (AllocationTally): its allocation is complete only once no thread
    // runs that code, and the thread that completed its task can still be inside it when the caller, resumed on
    // another thread, ends the execution.
    private long allocationTally;

    // Null while the execution runs; its outcome once it ended with its allocation not yet recorded; then
    // AllocationRecorded.
    private object? pendingOutcome;

    /// <summary>
    /// Gets or sets how long an ended execution's allocation waits for the last thread in its code to leave: the thread
    /// that completed its task leaves within microseconds; one the activity left running (a loop on a thread of its
    /// own) may never. Process-wide; a test raises it.
    /// </summary>
    internal static TimeSpan LastThreadWait { get; set; } = TimeSpan.FromSeconds(1);

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
                var outcome = exception is null
                    ? "completed"
                    : MetricsInterceptor.ActivityOutcome(exception, cancellationRequested);
                var done = ActivityMeters.End(measurement, outcome);
                var allocated = metrics.MeasureAllocations ? AllocatedIfComplete(outcome) : 0;
                if (allocated is { } bytes)
                {
                    ActivityMeters.Allocated(done, bytes);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Report(e);
        }
    }

    /// <summary>
    /// The bytes the execution allocated, claimed for the recording at its end when no thread runs its code any more;
    /// else null, and the last thread to leave (<see cref="IAllocationCounter.Left"/>), or at the latest
    /// <see cref="LastThreadWait"/>, has them recorded.
    /// </summary>
    private long? AllocatedIfComplete(string outcome)
    {
        // A full fence between publishing the end and reading who is inside, as Left has between the two in reverse:
        // of an end and a last leave that race, at least one sees the other.
        Interlocked.Exchange(ref pendingOutcome, outcome);
        var tally = Volatile.Read(ref allocationTally);
        if (!AllocationTally.AnyInside(tally))
        {
            return ClaimAllocation(outcome) ? AllocationTally.Bytes(tally) : null;
        }

        if (ExecutionContext.IsFlowSuppressed())
        {
            RecordAtTheLatestAfterTheWait();
        }
        else
        {
            // The caller's context (its activity, logging scopes, baggage) need not live on for the wait.
            using (ExecutionContext.SuppressFlow())
            {
                RecordAtTheLatestAfterTheWait();
            }
        }

        return null;
    }

    private void RecordAtTheLatestAfterTheWait() =>
        _ = Task.Delay(LastThreadWait).ContinueWith(
            static (_, state) => ((MonitoredActivityInbound)state!).RecordPendingAllocation(),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private bool ClaimAllocation(string outcome) =>
        ReferenceEquals(Interlocked.CompareExchange(ref pendingOutcome, AllocationRecorded, outcome), outcome);

    void IAllocationCounter.Entered() => AllocationTally.Enter(ref allocationTally);

    void IAllocationCounter.Left(long bytes)
    {
        if (!AllocationTally.Leave(ref allocationTally, bytes) || Volatile.Read(ref pendingOutcome) is not string)
        {
            return;
        }

        try
        {
            // Recorded from the thread pool, not inside the runtime's notice of a context change, where nothing may
            // throw and meter listeners would run in the middle of the runtime switching contexts.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
#pragma warning disable CA1031 // The runtime ends the process when a context change notice throws.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Not queued: the wait's end at the latest records it.
        }
    }

    void IThreadPoolWorkItem.Execute() => RecordPendingAllocation();

    /// <summary>
    /// On the thread pool, for an execution that ended with a thread still inside its code: when the last one left, or
    /// at the end of <see cref="LastThreadWait"/>, whichever claims it first.
    /// </summary>
    private void RecordPendingAllocation()
    {
        if (Volatile.Read(ref pendingOutcome) is not string outcome || !ClaimAllocation(outcome))
        {
            return;
        }

        try
        {
            ActivityMeters.Allocated(measurement, outcome, AllocationTally.Bytes(Volatile.Read(ref allocationTally)));
        }
#pragma warning disable CA1031 // Nothing may escape a work item of the thread pool: it would end the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            try
            {
                Report(e);
            }
#pragma warning disable CA1031
            catch (Exception)
#pragma warning restore CA1031
            {
                // The failure report itself failed; nothing is left to report it with.
            }
        }
    }

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
