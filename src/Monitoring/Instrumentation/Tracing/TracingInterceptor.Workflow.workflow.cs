using System.Diagnostics;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;
using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Workflow spans. Each span is decided once, by the workflow task that ends it, never while replaying,
/// and exported from the thread pool; its id is derived from the run, so calls made earlier (perhaps on
/// another worker, before a cache eviction) already carry it as their parent. RunWorkflow and handler
/// spans thus get their real start and end times instead of zero-length markers. Nothing here may fail a workflow
/// task: every step that touches telemetry is guarded.
/// </summary>
internal sealed partial class TracingInterceptor
{
    /// <summary>Whether a received header is worth reporting: unreadable, or cut to the limits.</summary>
    private static bool Wrong(TraceHeaderStatus status, in RemoteContext remote) =>
        status == TraceHeaderStatus.Malformed || remote.Dropped != TraceContextParts.None;

    /// <summary>Wall clock outside replay; the workflow task's time when an earlier task is replayed.</summary>
    private static DateTime Now() =>
        Workflow.Unsafe.IsReplayingHistoryEvents ? Workflow.UtcNow : DateTime.UtcNow;

    private static Activity? CreateSpan(
        string name,
        ActivityKind kind,
        in ActivityContext parent,
        ActivityTraceId rootTraceId,
        in ActivityContext link) =>
        parent == default
            ? RootTraceIds.CreateRoot(name, kind, rootTraceId, link == default ? null : [new ActivityLink(link)])
            : Telemetry.Source.CreateActivity(name, kind, parent);

    /// <summary>
    /// Watches the task a call returned for its end, which ends the span, only when the span is recorded: ending a
    /// span the sampler dropped does nothing, while watching costs a continuation on the workflow's scheduler for
    /// every call (with the SDK's task events, over 1 KB), most of what tracing cost a run whose trace was not sampled.
    /// The span itself is told, so that a call made many times a run needs no delegate of its own.
    /// </summary>
    private static TTask Watch<TTask>(WorkflowSpan span, TTask task)
        where TTask : Task
    {
        if (span.Recorded)
        {
            TaskEndObserver.Observe(task, span);
        }

        return task;
    }

    /// <summary>
    /// Asks the configured sampler, the same way for every replay, whether a span is recorded. The span it made for
    /// the question (<paramref name="span"/>, not started) is the one emitted when the operation ends in this process;
    /// null when it is not recorded.
    /// </summary>
    private static ActivityTraceFlags Decide(
        string name,
        ActivityKind kind,
        ActivityContext parent,
        RunTrace run,
        out Activity? span,
        ActivityContext link = default)
    {
        span = null;
        if (!Telemetry.Source.HasListeners())
        {
            return parent.TraceFlags;
        }

        span = Workflow.Unsafe.WithTracingEventListenerDisabled(() =>
        {
            var previous = Activity.Current;
            Activity.Current = null;
            try
            {
                var rootTraceId = parent == default ? run.RootTraceId : default;
                return CreateSpan(name, kind, parent, rootTraceId, link) is { Recorded: true } made ? made : null;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A sampler that throws records nothing; the run goes on.
                return null;
            }
            finally
            {
                Activity.Current = previous;
            }
        });
        return span is null ? ActivityTraceFlags.None : ActivityTraceFlags.Recorded;
    }

    /// <summary>
    /// The span for a workflow-side operation, known to workflow code (as <see cref="Activity.Current"/>)
    /// while it runs, and emitted when it ends: decided on the workflow's thread, exported from the thread pool
    /// (see <see cref="PoolQueue{T}"/>), so that neither the exporter's work nor System.Diagnostics' per-thread state
    /// lands on a thread the SDK started for one workflow task.
    /// </summary>
    private sealed class WorkflowSpan : ITaskEndListener
    {
        private static readonly PoolQueue<WorkflowSpan> Ended = new(static span => span.Emit());

        private readonly string name;
        private readonly ActivityKind kind;
        private readonly ActivityContext parent;
        private readonly DateTime start;
        private readonly RunTrace run;
        private RunCarrier? carrier;

        // What the workflow's thread knew when the span ended, written before the span is queued, once (posted).
        private bool posted;
        private Exception? exception;
        private string? outcome;
        private bool cancellationRequested;
        private DateTime end;
        private List<KeyValuePair<string, object?>>? searchAttributes;
        private Activity? sampled;

        public WorkflowSpan(
            RunTrace run,
            string name,
            ActivityKind kind,
            ActivityContext parent,
            ActivitySpanId spanId,
            ActivityTraceFlags flags)
        {
            this.run = run;
            this.name = name;
            this.kind = kind;
            this.parent = parent;
            start = Now();
            var traceId = parent == default ? run.RootTraceId : parent.TraceId;
            Context = new ActivityContext(traceId, spanId, flags, parent.TraceState);
        }

        public ActivityContext Context { get; }

        /// <summary>Gets a value indicating whether the sampler kept the span: only then is it emitted.</summary>
        public bool Recorded => Context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded);

        /// <summary>
        /// Never started nor exported: it only lets workflow code and logs see the ids. Made only for the spans
        /// workflow code runs under (the run's and handlers'), not for each call the workflow makes.
        /// </summary>
        public Activity Carrier => carrier ??= new RunCarrier(run, name, Context);

        public string? UpdateId { get; init; }

        /// <summary>Sets the span the sampler was asked with, emitted as this one when this process ends it.</summary>
        public Activity? Sampled
        {
            init => sampled = value;
        }

        /// <summary>Gets the span a new trace links to: the run before, for a run that continued as new.</summary>
        public ActivityContext Link { get; init; }

        /// <summary>Waits until the spans ended before the call have been emitted (or dropped for a failure).</summary>
        public static bool WaitEmitted(TimeSpan timeout) => Ended.WaitHandled(timeout);

        /// <summary>
        /// Emits the span unless replaying or already emitted. <paramref name="outcome"/> is a run
        /// outcome (benign ones are tagged, others are errors); null with an exception means the call
        /// itself failed.
        /// </summary>
        public void End(Exception? exception, string? outcome = null)
        {
            try
            {
                // Posted: claims are forgotten after a while, and the pool thread may be reading this span already.
                if (!Recorded || posted || Workflow.Unsafe.IsReplayingHistoryEvents
                    || !run.Root.Emitted.TryClaim(Context.SpanId))
                {
                    return;
                }

                if (Ended.Backlog >= MaxQueuedSpans)
                {
                    // The exporter stopped keeping up: spans are dropped here rather than held without bound.
                    run.Root.ReportFailure(new InvalidOperationException(
                        $"More than {MaxQueuedSpans} workflow spans wait for the exporter; "
                        + "spans are dropped until it catches up."));
                    return;
                }

                posted = true;
                this.exception = exception;
                this.outcome = outcome;
                cancellationRequested = Workflow.CancellationToken.IsCancellationRequested;
                end = DateTime.UtcNow;
                if (ReferenceEquals(this, run.Span))
                {
                    searchAttributes = SpanSearchAttributes.Collect(run.Root.Options.SpanSearchAttributes);
                }

                Ended.Post(this);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                run.Root.ReportFailure(e);
            }
        }

        /// <summary>
        /// Ends the run's span as the run's task ended: done, or failed with a run outcome (failed, cancelled,
        /// continued as new). Any other exception fails the workflow task, which is retried: the run goes on.
        /// </summary>
        public void EndRun(Exception? exception)
        {
            if (exception is null)
            {
                End(null);
            }
            else if (RunOutcome.Of(exception) is { } outcome)
            {
                End(exception, outcome);
            }
        }

        void ITaskEndListener.Ended(Exception? exception)
        {
            if (ReferenceEquals(this, run.Span))
            {
                EndRun(exception);
            }
            else
            {
                End(exception);
            }
        }

        /// <summary>On the thread pool, once: reads only what was set before the span was posted.</summary>
        private void Emit()
        {
            try
            {
                // The pool thread's context is the default one; a span a failed export left current would otherwise
                // become the parent of the next root span.
                Activity.Current = null;
                var span = sampled ?? CreateSpan(name, kind, parent, Context.TraceId, Link);
                sampled = null;
                if (span is null)
                {
                    return;
                }

                span.SetStartTime(start);
                span.Start();
                ActivityIdOverride.Set(span, Context.SpanId, Context.TraceId);
                if (span.IsAllDataRequested)
                {
                    Tag(span);
                }

                span.SetEndTime(end < start ? start : end);
                span.Stop();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                run.Root.ReportFailure(e);
            }
        }

        /// <summary>The tags every span of a run carries, and a handler's update id when it has one.</summary>
        internal static void TagRun(Activity span, RunTrace run, string? updateId)
        {
            span.SetTag(SpanTags.WorkflowId, run.WorkflowId);
            span.SetTag(SpanTags.RunId, run.RunId);
            span.SetTag(SpanTags.TaskQueue, run.TaskQueue);
            span.SetTag(SpanTags.Namespace, run.Namespace);
            if (updateId is not null)
            {
                span.SetTag(SpanTags.UpdateId, updateId);
            }
        }

        private void Tag(Activity span)
        {
            TagRun(span, run, UpdateId);
            if (ReferenceEquals(this, run.Span))
            {
                span.SetTag(SpanTags.Attempt, SpanTags.AttemptValue(run.Attempt));
                foreach (var (key, value) in searchAttributes ?? [])
                {
                    span.SetTag(key, value);
                }
            }

            if (outcome is not null && exception is not null)
            {
                SpanStatus.RecordRunOutcome(span, exception, outcome);
            }
            else if (exception is not null)
            {
                SpanStatus.Record(span, exception, cancellationRequested);
            }
        }
    }

    /// <summary>
    /// What a run puts in <see cref="Activity.Current"/> while its code runs, marked with the run it belongs to
    /// (a type of its own rather than a custom property, which would cost a dictionary per span).
    /// </summary>
    private sealed class RunCarrier : Activity
    {
        public RunCarrier(RunTrace run, string name, in ActivityContext context)
            : base(name)
        {
            Run = run;
            SetIdFormat(ActivityIdFormat.W3C);
            ActivityTraceFlags = context.TraceFlags;
            if (context.TraceState is { } state)
            {
                TraceStateString = state;
            }

            ActivityIdOverride.Set(this, context.SpanId, context.TraceId);
        }

        public RunTrace Run { get; }
    }

    /// <summary>What one workflow run knows of its trace; rebuilt identically on every replay.</summary>
    private sealed class RunTrace
    {
        private long outboundSequence;
        private long signalSequence;
        private ActivityTraceId? rootTraceId;

        public RunTrace(TracingInterceptor root)
        {
            Root = root;
            var info = Workflow.Info;
            WorkflowId = info.WorkflowId;
            RunId = info.RunId;
            TaskQueue = info.TaskQueue;
            Namespace = info.Namespace;
            Attempt = info.Attempt;
            var status = TraceHeader.TryRead(info.Headers, root.HeaderKey, out var remote);
            // Counted and said once, by the task that first reads the header, not again on replay.
            if (Wrong(status, remote) && !Workflow.Unsafe.IsReplaying)
            {
                var dropped = remote.Dropped;
                Workflow.Unsafe.WithTracingEventListenerDisabled(() => root.ReportReceived(
                    status, dropped, Workflow.Logger, "RunWorkflow", info.WorkflowType));
            }

            Baggage = root.Options.PropagateBaggage ? remote.Baggage : null;
            var name = root.runWorkflowNames.For(info.WorkflowType);
            var (parent, link) = RunTraces.StartsNewTrace(root.Options, info, remote.Context)
                ? (default, remote.Context)
                : (remote.Context, default(ActivityContext));
            var flags = Decide(name, ActivityKind.Server, parent, this, out var sampled, link);
            Span = new WorkflowSpan(
                this,
                name,
                ActivityKind.Server,
                parent,
                SpanIds.ForSpan(info.RunId, "RunWorkflow", 0),
                flags)
            {
                Link = link,
                Sampled = sampled,
            };
        }

        public TracingInterceptor Root { get; }

        public string WorkflowId { get; }

        public string RunId { get; }

        public string TaskQueue { get; }

        public string Namespace { get; }

        public int Attempt { get; }

        /// <summary>
        /// Gets the id of the trace the run starts when it does not continue its caller's: derived from the run, and
        /// only when asked for, since most runs continue a trace.
        /// </summary>
        public ActivityTraceId RootTraceId => rootTraceId ??= SpanIds.ForRootTrace(RunId);

        public string? Baggage { get; }

        public WorkflowSpan Span { get; }

        /// <summary>
        /// The parent for a call made now: the span current in the calling code if it belongs to this
        /// run (a handler's, the run's, or one the workflow started itself under them), else the run's.
        /// </summary>
        public ActivityContext Current()
        {
            var current = Activity.Current;
            for (var activity = current; activity is not null; activity = activity.Parent)
            {
                if (activity is RunCarrier carrier && ReferenceEquals(carrier.Run, this))
                {
                    return current!.Context;
                }
            }

            return Span.Context;
        }

        public ActivitySpanId NextOutboundSpanId() => SpanIds.ForSpan(RunId, "Outbound", ++outboundSequence);

        public ActivitySpanId NextSignalSpanId() => SpanIds.ForSpan(RunId, "HandleSignal", ++signalSequence);
    }

    private sealed class WorkflowInbound(
        TracingInterceptor root,
        WorkflowInboundInterceptor next,
        RunEndWatch runEnd) : WorkflowInboundInterceptor(next)
    {
        private bool passThrough;
        private RunTrace? run;

        public RunTrace Run => run ??= new RunTrace(root);

        public override void Init(WorkflowOutboundInterceptor outbound)
        {
            passThrough = DuplicateInterceptorGuard<TracingInterceptor>.IsInnerCopy;
            using var mark = DuplicateInterceptorGuard<TracingInterceptor>.InitializingAsOuterCopy(!passThrough);
            base.Init(passThrough ? outbound : new WorkflowOutbound(this, outbound));
        }

        // No await in these handlers: see TaskEndObserver. The span is made current only while the next
        // interceptor starts the workflow code, which keeps it across its own awaits.
        public override Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            if (passThrough)
            {
                return Next.ExecuteWorkflowAsync(input);
            }

            // Written out rather than through CatchIntoTask and closures: this runs for every run, replays included.
            try
            {
                var span = Run.Span;
                if (root.Options.TraceLinkTemplate is { Length: > 0 } template && span.Recorded)
                {
                    TraceLinkInDetails.Keep(template, span.Context.TraceId);
                }

                Task<object?> task;
                try
                {
                    task = WithCurrent(
                        span,
                        (Inbound: this, Input: input),
                        static s => s.Inbound.Next.ExecuteWorkflowAsync(s.Input));
                }
                catch (Exception e)
                {
                    span.EndRun(e);
                    throw;
                }

                // Watched only when recorded (see Watch), and through the watch metrics may already have on the task.
                if (span.Recorded)
                {
                    runEnd.Observe(task, span);
                }

                return task;
            }
            catch (Exception e)
            {
                // As an async method would: the SDK looks for the run's failure in its task, never in a throw.
                return Task.FromException<object?>(e);
            }
        }

        public override Task HandleSignalAsync(HandleSignalInput input)
        {
            if (passThrough || !root.Options.TraceSignals)
            {
                return Next.HandleSignalAsync(input);
            }

            return TaskEndObserver.CatchIntoTask(() =>
            {
                var span = StartHandler(
                    "HandleSignal:" + input.Signal,
                    input.Headers,
                    Run.NextSignalSpanId(),
                    updateId: null);
                return TaskEndObserver.Observe(
                    () => WithCurrent(
                        span,
                        (Inbound: this, Input: input),
                        static s => s.Inbound.Next.HandleSignalAsync(s.Input)),
                    e =>
                {
                    if (e is null)
                    {
                        span.End(null);
                    }
                    else if (RunOutcome.Of(e) is { } outcome)
                    {
                        // A failure (or continue-as-new) thrown by a signal handler ends the whole run.
                        span.End(e, outcome);
                        Run.Span.End(e, outcome);
                    }
                });
            });
        }

        public override object? HandleQuery(HandleQueryInput input)
        {
            if (passThrough || !root.Options.TraceQueries)
            {
                return Next.HandleQuery(input);
            }

            // Queries are not in history and never replay: an ordinary span with its own random id.
            var span = StartImmediate("HandleQuery:" + input.Query, input.Headers, updateId: null);
            try
            {
                var result = Next.HandleQuery(input);
                StopImmediate(span, null);
                return result;
            }
            catch (Exception e)
            {
                StopImmediate(span, e);
                throw;
            }
        }

        public override void ValidateUpdate(HandleUpdateInput input)
        {
            if (passThrough || !root.Options.TraceUpdates)
            {
                Next.ValidateUpdate(input);
                return;
            }

            // Validators run when the update arrives and are skipped on replay.
            var span = StartImmediate("ValidateUpdate:" + input.Update, input.Headers, input.Id);
            try
            {
                Next.ValidateUpdate(input);
                StopImmediate(span, null);
            }
            catch (Exception e)
            {
                StopImmediate(span, e);
                throw;
            }
        }

        public override Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            if (passThrough || !root.Options.TraceUpdates)
            {
                return Next.HandleUpdateAsync(input);
            }

            return TaskEndObserver.CatchIntoTask(() =>
            {
                var span = StartHandler(
                    "HandleUpdate:" + input.Update,
                    input.Headers,
                    SpanIds.ForSpan(Run.RunId, "HandleUpdate", input.Id),
                    input.Id);
                return TaskEndObserver.Observe(
                    () => WithCurrent(
                        span,
                        (Inbound: this, Input: input),
                        static s => s.Inbound.Next.HandleUpdateAsync(s.Input)),
                    e =>
                {
                    // The update failed (its caller gets the failure); other exceptions fail the task and retry.
                    if (e is null || RunOutcome.Of(e) is not null)
                    {
                        span.End(e);
                    }
                });
            });
        }

        /// <summary>
        /// Starts the next interceptor with the span current, and puts back what was current: the
        /// workflow code captures the span at its first await, while the SDK's own code after this
        /// call must not run under it.
        /// </summary>
        private static T WithCurrent<TState, T>(WorkflowSpan span, TState state, Func<TState, T> start)
        {
            var previous = Activity.Current;
            Activity.Current = span.Carrier;
            try
            {
                return start(state);
            }
            finally
            {
                // The setter ignores a stopped activity, which would leave the carrier current.
                Activity.Current = previous is { IsStopped: true } ? null : previous;
            }
        }

        private WorkflowSpan StartHandler(
            string name,
            IReadOnlyDictionary<string, Temporalio.Api.Common.V1.Payload>? headers,
            ActivitySpanId spanId,
            string? updateId)
        {
            var trace = Run;
            var parent = HandlerParent(name, headers, trace);
            var flags = Decide(name, ActivityKind.Server, parent, trace, out var sampled);
            return new WorkflowSpan(trace, name, ActivityKind.Server, parent, spanId, flags)
            {
                UpdateId = updateId,
                Sampled = sampled,
            };
        }

        private Activity? StartImmediate(
            string name,
            IReadOnlyDictionary<string, Temporalio.Api.Common.V1.Payload>? headers,
            string? updateId)
        {
            try
            {
                var trace = Run;
                var parent = HandlerParent(name, headers, trace);
                if (!Telemetry.Source.HasListeners())
                {
                    return null;
                }

                return Workflow.Unsafe.WithTracingEventListenerDisabled(() =>
                {
                    var span = Telemetry.Source.StartActivity(name, ActivityKind.Server, parent);
                    if (span is { IsAllDataRequested: true })
                    {
                        WorkflowSpan.TagRun(span, trace, updateId);
                    }

                    return span;
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                root.ReportFailure(e);
                return null;
            }
        }

        /// <summary>
        /// Stops a query or validator span inside the listener guard, where exporters may do as they like.
        /// </summary>
        private void StopImmediate(Activity? span, Exception? exception)
        {
            if (span is null)
            {
                return;
            }

            try
            {
                Workflow.Unsafe.WithTracingEventListenerDisabled(() =>
                {
                    if (exception is not null)
                    {
                        SpanStatus.Record(span, exception, cancellationRequested: false);
                    }

                    span.Stop();
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                root.ReportFailure(e);
            }
        }

        /// <summary>
        /// The sender's span when it sent one; otherwise the run's, so the handler stays in the run's trace.
        /// </summary>
        private static ActivityContext HandlerParent(
            string operation, IReadOnlyDictionary<string, Temporalio.Api.Common.V1.Payload>? headers, RunTrace trace)
        {
            var status = TraceHeader.TryRead(headers, trace.Root.HeaderKey, out var remote);

            // A valid header may still have lost parts to the limits: reported either way, never on replay.
            if (Wrong(status, remote) && !Workflow.Unsafe.IsReplaying)
            {
                var dropped = remote.Dropped;
                Workflow.Unsafe.WithTracingEventListenerDisabled(() => trace.Root.ReportReceived(
                    status, dropped, Workflow.Logger, operation, Workflow.Info.WorkflowType));
            }

            return status == TraceHeaderStatus.Valid ? remote.Context : trace.Span.Context;
        }
    }

    /// <summary>
    /// StartActivity, StartChildWorkflow, signals and continue-as-new, under the span making the call.
    /// Each span ends when its operation ends, observed without an await (see TaskEndObserver).
    /// </summary>
    private sealed class WorkflowOutbound(
        WorkflowInbound owner,
        WorkflowOutboundInterceptor next) : WorkflowOutboundInterceptor(next)
    {
        public override Task<TResult> ScheduleActivityAsync<TResult>(ScheduleActivityInput input)
        {
            if (Untraced(input.Activity))
            {
                return base.ScheduleActivityAsync<TResult>(input with { Headers = InjectCurrent(input.Headers) });
            }

            return Traced(
                owner.Run.Root.startActivityNames.For(input.Activity),
                input,
                input.Headers,
                static (self, call, headers) =>
                    self.Next.ScheduleActivityAsync<TResult>(call with { Headers = headers }));
        }

        public override Task<TResult> ScheduleLocalActivityAsync<TResult>(ScheduleLocalActivityInput input)
        {
            if (Untraced(input.Activity))
            {
                return base.ScheduleLocalActivityAsync<TResult>(
                    input with { Headers = InjectCurrent(input.Headers) });
            }

            return Traced(
                owner.Run.Root.startActivityNames.For(input.Activity),
                input,
                input.Headers,
                static (self, call, headers) =>
                    self.Next.ScheduleLocalActivityAsync<TResult>(call with { Headers = headers }));
        }

        public override Task<ChildWorkflowHandle<TWorkflow, TResult>> StartChildWorkflowAsync<TWorkflow, TResult>(
            StartChildWorkflowInput input)
        {
            return Traced(
                owner.Run.Root.startChildWorkflowNames.For(input.Workflow),
                input,
                input.Headers,
                static (self, call, headers) =>
                    self.Next.StartChildWorkflowAsync<TWorkflow, TResult>(call with { Headers = headers }));
        }

        public override Task SignalChildWorkflowAsync(SignalChildWorkflowInput input)
        {
            if (!owner.Run.Root.Options.TraceSignals)
            {
                return base.SignalChildWorkflowAsync(input with { Headers = InjectCurrent(input.Headers) });
            }

            return Traced(
                "SignalChildWorkflow:" + input.Signal,
                input,
                input.Headers,
                static (self, call, headers) => self.Next.SignalChildWorkflowAsync(call with { Headers = headers }));
        }

        public override Task SignalExternalWorkflowAsync(SignalExternalWorkflowInput input)
        {
            if (!owner.Run.Root.Options.TraceSignals)
            {
                return base.SignalExternalWorkflowAsync(input with { Headers = InjectCurrent(input.Headers) });
            }

            return Traced(
                "SignalExternalWorkflow:" + input.Signal,
                input,
                input.Headers,
                static (self, call, headers) => self.Next.SignalExternalWorkflowAsync(call with { Headers = headers }));
        }

        public override ContinueAsNewException CreateContinueAsNewException(CreateContinueAsNewExceptionInput input)
        {
            var span = Begin("ContinueAsNew:" + input.Workflow);
            var exception = base.CreateContinueAsNewException(input with { Headers = Inject(input.Headers, span) });
            span.End(null);
            return exception;
        }

        /// <summary>
        /// Whether the activity gets no span. Its span id is used up all the same, so that the ids of the spans
        /// after it, which calls already in history carry as parents, do not depend on the setting.
        /// </summary>
        private bool Untraced(string activity)
        {
            if (!owner.Run.Root.Options.IsUntraced(activity))
            {
                return false;
            }

            _ = owner.Run.NextOutboundSpanId();
            return true;
        }

        /// <summary>
        /// Makes a call under a span of its own that ends with the call, also when the call throws before any task
        /// exists. The call is static and gets the headers with the span's context: no closure for what every
        /// activity and child a workflow starts goes through.
        /// </summary>
        private TTask Traced<TInput, TTask>(
            string name,
            TInput input,
            IDictionary<string, Temporalio.Api.Common.V1.Payload>? headers,
            Func<WorkflowOutbound, TInput, Dictionary<string, Temporalio.Api.Common.V1.Payload>, TTask> call)
            where TTask : Task
        {
            var span = Begin(name);
            try
            {
                return Watch(span, call(this, input, Inject(headers, span)));
            }
            catch (Exception e)
            {
                span.End(e);
                throw;
            }
        }

        private WorkflowSpan Begin(string name)
        {
            var trace = owner.Run;
            var parent = trace.Current();
            return new WorkflowSpan(
                trace,
                name,
                ActivityKind.Client,
                parent,
                trace.NextOutboundSpanId(),
                parent.TraceFlags);
        }

        private Dictionary<string, Temporalio.Api.Common.V1.Payload> Inject(
            IDictionary<string, Temporalio.Api.Common.V1.Payload>? headers, WorkflowSpan span) =>
            TraceHeader.With(headers, owner.Run.Root.HeaderKey, span.Context, owner.Run.Baggage);

        /// <summary>The calling span's context, for a call that gets no span of its own.</summary>
        private Dictionary<string, Temporalio.Api.Common.V1.Payload> InjectCurrent(
            IDictionary<string, Temporalio.Api.Common.V1.Payload>? headers) =>
            TraceHeader.With(headers, owner.Run.Root.HeaderKey, owner.Run.Current(), owner.Run.Baggage);
    }
}
