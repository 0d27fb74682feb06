using System.Diagnostics;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Workflow spans. Each span is emitted once, by the workflow task that ends it, and never while
/// replaying; its id is derived from the run, so calls made earlier (perhaps on another worker,
/// before a cache eviction) already carry it as their parent. RunWorkflow and handler spans thus get
/// their real start and end times instead of zero-length markers.
/// </summary>
internal sealed partial class TracingInterceptor
{
    /// <summary>Wall clock outside replay; the workflow task's time when an earlier task is replayed.</summary>
    private static DateTime Now() =>
        Workflow.Unsafe.IsReplayingHistoryEvents ? Workflow.UtcNow : DateTime.UtcNow;

    private static Activity? CreateSpan(string name, ActivityKind kind, in ActivityContext parent, ActivityTraceId rootTraceId) =>
        parent == default
            ? RootTraceIds.CreateRoot(name, kind, rootTraceId)
            : Telemetry.Source.CreateActivity(name, kind, parent);

    /// <summary>Asks the configured sampler, the same way for every replay, whether a span is recorded.</summary>
    private static ActivityTraceFlags Decide(string name, ActivityKind kind, in ActivityContext parent, ActivityTraceId rootTraceId)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return parent.TraceFlags;
        }

        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var probe = CreateSpan(name, kind, parent, rootTraceId);
            return probe is { Recorded: true } ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None;
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// The span for a workflow-side operation, known to workflow code (as <see cref="Activity.Current"/>)
    /// while it runs, and emitted when it ends.
    /// </summary>
    private sealed class WorkflowSpan
    {
        private readonly string name;
        private readonly ActivityKind kind;
        private readonly ActivityContext parent;
        private readonly DateTime start;
        private readonly RunTrace run;

        public WorkflowSpan(RunTrace run, string name, ActivityKind kind, ActivityContext parent, ActivitySpanId spanId, ActivityTraceFlags flags)
        {
            this.run = run;
            this.name = name;
            this.kind = kind;
            this.parent = parent;
            start = Now();
            var traceId = parent == default ? run.RootTraceId : parent.TraceId;
            Context = new ActivityContext(traceId, spanId, flags, parent.TraceState);
            Carrier = new Activity(name);
            Carrier.SetIdFormat(ActivityIdFormat.W3C);
            Carrier.ActivityTraceFlags = flags;
            if (parent.TraceState is { } state)
            {
                Carrier.TraceStateString = state;
            }

            ActivityIdOverride.Set(Carrier, spanId, traceId);
        }

        public ActivityContext Context { get; }

        /// <summary>Never started nor exported: it only lets workflow code and logs see the ids.</summary>
        public Activity Carrier { get; }

        public string? UpdateId { get; init; }

        public void End(Exception? exception)
        {
            if (!Context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) || Workflow.Unsafe.IsReplayingHistoryEvents
                || !EmittedOnce.TryClaim(EmittedOnce.Key(Context.SpanId)))
            {
                return;
            }

            var context = Context;
            var parentContext = parent;
            var cancellationRequested = Workflow.CancellationToken.IsCancellationRequested;
            Workflow.Unsafe.WithTracingEventListenerDisabled(() =>
            {
                var previous = Activity.Current;
                Activity.Current = null;
                try
                {
                    var span = CreateSpan(name, kind, parentContext, context.TraceId);
                    if (span is null)
                    {
                        return;
                    }

                    span.SetStartTime(start);
                    span.Start();
                    ActivityIdOverride.Set(span, context.SpanId, context.TraceId);
                    if (span.IsAllDataRequested)
                    {
                        span.SetTag(SpanTags.WorkflowId, run.WorkflowId);
                        span.SetTag(SpanTags.RunId, run.RunId);
                        if (UpdateId is not null)
                        {
                            span.SetTag(SpanTags.UpdateId, UpdateId);
                        }

                        if (exception is not null)
                        {
                            SpanStatus.Record(span, exception, cancellationRequested);
                        }
                    }

                    var end = DateTime.UtcNow;
                    span.SetEndTime(end < start ? start : end);
                    span.Stop();
                }
                finally
                {
                    Activity.Current = previous;
                }
            });
        }
    }

    /// <summary>What one workflow run knows of its trace; rebuilt identically on every replay.</summary>
    private sealed class RunTrace
    {
        private long outboundSequence;
        private long signalSequence;

        private RunTrace(TracingInterceptor root)
        {
            var info = Workflow.Info;
            WorkflowId = info.WorkflowId;
            RunId = info.RunId;
            RootTraceId = SpanIds.ForRootTrace(info.RunId);
            var status = TraceHeader.TryRead(info.Headers, out var remote);
            if (status == TraceHeaderStatus.Malformed && !Workflow.Unsafe.IsReplayingHistoryEvents)
            {
                Log.MalformedTraceHeader(root.Logger, "RunWorkflow", info.WorkflowType);
            }

            Baggage = remote.Baggage;
            var name = "RunWorkflow:" + info.WorkflowType;
            var flags = Workflow.Unsafe.WithTracingEventListenerDisabled(() => Decide(name, ActivityKind.Server, remote.Context, RootTraceId));
            Span = new WorkflowSpan(this, name, ActivityKind.Server, remote.Context, SpanIds.ForSpan(info.RunId, "RunWorkflow", 0), flags);
        }

        public string WorkflowId { get; }

        public string RunId { get; }

        public ActivityTraceId RootTraceId { get; }

        public string? Baggage { get; }

        public WorkflowSpan Span { get; }

        public static RunTrace Create(TracingInterceptor root) => new(root);

        /// <summary>The parent for a call made now: the handler or run span whose code is making it.</summary>
        public ActivityContext Current()
        {
            var current = Activity.Current;
            return current is not null && current.TraceId == Span.Context.TraceId ? current.Context : Span.Context;
        }

        public ActivitySpanId NextOutboundSpanId() => SpanIds.ForSpan(RunId, "Outbound", ++outboundSequence);

        public ActivitySpanId NextSignalSpanId() => SpanIds.ForSpan(RunId, "HandleSignal", ++signalSequence);
    }

    private sealed class WorkflowInbound(TracingInterceptor root, WorkflowInboundInterceptor next) : WorkflowInboundInterceptor(next)
    {
        // See ActivityInbound: the outer of two copies of this interceptor marks the chain during Init.
        [ThreadStatic]
        private static bool initializing;

        private bool passThrough;
        private RunTrace? run;

        public TracingInterceptor Root => root;

        public RunTrace Run => run ??= RunTrace.Create(root);

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
                base.Init(new WorkflowOutbound(this, outbound));
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

            var span = Run.Span;
            Activity.Current = span.Carrier;
            object? result;
            try
            {
                result = await Next.ExecuteWorkflowAsync(input);
            }
            catch (Exception e) when (IsRunEnding(e))
            {
                span.End(e);
                throw;
            }

            span.End(null);
            return result;
        }

        public override async Task HandleSignalAsync(HandleSignalInput input)
        {
            if (passThrough)
            {
                await Next.HandleSignalAsync(input);
                return;
            }

            var span = StartHandler("HandleSignal:" + input.Signal, input.Headers, Run.NextSignalSpanId(), updateId: null);
            Activity.Current = span.Carrier;
            try
            {
                await Next.HandleSignalAsync(input);
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }

            span.End(null);
        }

        public override object? HandleQuery(HandleQueryInput input)
        {
            if (passThrough)
            {
                return Next.HandleQuery(input);
            }

            // Queries are not in history and never replay: an ordinary span with its own random id.
            using var span = StartImmediate("HandleQuery:" + input.Query, input.Headers, updateId: null);
            try
            {
                return Next.HandleQuery(input);
            }
            catch (Exception e)
            {
                SpanStatus.Record(span, e, cancellationRequested: false);
                throw;
            }
        }

        public override void ValidateUpdate(HandleUpdateInput input)
        {
            if (passThrough)
            {
                Next.ValidateUpdate(input);
                return;
            }

            // Validators run when the update arrives and are skipped on replay.
            using var span = StartImmediate("ValidateUpdate:" + input.Update, input.Headers, input.Id);
            try
            {
                Next.ValidateUpdate(input);
            }
            catch (Exception e)
            {
                SpanStatus.Record(span, e, cancellationRequested: false);
                throw;
            }
        }

        public override async Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            if (passThrough)
            {
                return await Next.HandleUpdateAsync(input);
            }

            var span = StartHandler("HandleUpdate:" + input.Update, input.Headers, SpanIds.ForSpan(Run.RunId, "HandleUpdate", input.Id), input.Id);
            Activity.Current = span.Carrier;
            object? result;
            try
            {
                result = await Next.HandleUpdateAsync(input);
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }

            span.End(null);
            return result;
        }

        /// <summary>
        /// Workflow failures end the run; any other exception fails only the workflow task, which the
        /// server retries, so the run and its span go on.
        /// </summary>
        private static bool IsRunEnding(Exception exception) =>
            exception is Temporalio.Exceptions.FailureException or ContinueAsNewException or OperationCanceledException;

        private WorkflowSpan StartHandler(string name, IReadOnlyDictionary<string, Temporalio.Api.Common.V1.Payload>? headers, ActivitySpanId spanId, string? updateId)
        {
            var run = Run;
            var parent = HandlerParent(name, headers, run);
            var flags = Workflow.Unsafe.WithTracingEventListenerDisabled(() => Decide(name, ActivityKind.Server, parent, run.RootTraceId));
            return new WorkflowSpan(run, name, ActivityKind.Server, parent, spanId, flags) { UpdateId = updateId };
        }

        private Activity? StartImmediate(string name, IReadOnlyDictionary<string, Temporalio.Api.Common.V1.Payload>? headers, string? updateId)
        {
            var run = Run;
            var parent = HandlerParent(name, headers, run);
            var span = Workflow.Unsafe.WithTracingEventListenerDisabled(() =>
                parent == default ? null : Telemetry.Source.StartActivity(name, ActivityKind.Server, parent));
            if (span is { IsAllDataRequested: true })
            {
                span.SetTag(SpanTags.WorkflowId, run.WorkflowId);
                span.SetTag(SpanTags.RunId, run.RunId);
                if (updateId is not null)
                {
                    span.SetTag(SpanTags.UpdateId, updateId);
                }
            }

            return span;
        }

        /// <summary>The sender's span when it sent one; otherwise the run's, so the handler stays in the run's trace.</summary>
        private ActivityContext HandlerParent(string operation, IReadOnlyDictionary<string, Temporalio.Api.Common.V1.Payload>? headers, RunTrace run)
        {
            var status = TraceHeader.TryRead(headers, out var remote);
            if (status == TraceHeaderStatus.Valid)
            {
                return remote.Context;
            }

            if (status == TraceHeaderStatus.Malformed && !Workflow.Unsafe.IsReplayingHistoryEvents)
            {
                Log.MalformedTraceHeader(root.Logger, operation, Workflow.Info.WorkflowType);
            }

            return run.Span.Context;
        }
    }

    /// <summary>StartActivity, StartChildWorkflow, signals and continue-as-new, under the span making the call.</summary>
    private sealed class WorkflowOutbound(WorkflowInbound owner, WorkflowOutboundInterceptor next) : WorkflowOutboundInterceptor(next)
    {
        public override async Task<TResult> ScheduleActivityAsync<TResult>(ScheduleActivityInput input)
        {
            var span = Begin("StartActivity:" + input.Activity);
            try
            {
                var result = await base.ScheduleActivityAsync<TResult>(input with { Headers = Inject(input.Headers, span) });
                span.End(null);
                return result;
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }
        }

        public override async Task<TResult> ScheduleLocalActivityAsync<TResult>(ScheduleLocalActivityInput input)
        {
            var span = Begin("StartActivity:" + input.Activity);
            try
            {
                var result = await base.ScheduleLocalActivityAsync<TResult>(input with { Headers = Inject(input.Headers, span) });
                span.End(null);
                return result;
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }
        }

        public override async Task<ChildWorkflowHandle<TWorkflow, TResult>> StartChildWorkflowAsync<TWorkflow, TResult>(StartChildWorkflowInput input)
        {
            var span = Begin("StartChildWorkflow:" + input.Workflow);
            try
            {
                var handle = await base.StartChildWorkflowAsync<TWorkflow, TResult>(input with { Headers = Inject(input.Headers, span) });
                span.End(null);
                return handle;
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }
        }

        public override async Task SignalChildWorkflowAsync(SignalChildWorkflowInput input)
        {
            var span = Begin("SignalChildWorkflow:" + input.Signal);
            try
            {
                await base.SignalChildWorkflowAsync(input with { Headers = Inject(input.Headers, span) });
                span.End(null);
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }
        }

        public override async Task SignalExternalWorkflowAsync(SignalExternalWorkflowInput input)
        {
            var span = Begin("SignalExternalWorkflow:" + input.Signal);
            try
            {
                await base.SignalExternalWorkflowAsync(input with { Headers = Inject(input.Headers, span) });
                span.End(null);
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }
        }

        public override ContinueAsNewException CreateContinueAsNewException(CreateContinueAsNewExceptionInput input)
        {
            var span = Begin("ContinueAsNew:" + input.Workflow);
            var exception = base.CreateContinueAsNewException(input with { Headers = Inject(input.Headers, span) });
            span.End(null);
            return exception;
        }

        private WorkflowSpan Begin(string name)
        {
            var run = owner.Run;
            var parent = run.Current();
            return new WorkflowSpan(run, name, ActivityKind.Client, parent, run.NextOutboundSpanId(), parent.TraceFlags);
        }

        private Dictionary<string, Temporalio.Api.Common.V1.Payload> Inject(IDictionary<string, Temporalio.Api.Common.V1.Payload>? headers, WorkflowSpan span) =>
            TraceHeader.With(headers, span.Context, owner.Run.Baggage);
    }
}
