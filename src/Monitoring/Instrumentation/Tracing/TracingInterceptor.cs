using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using Temporalio.Activities;
using Temporalio.Api.Common.V1;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Spans for client calls, workflows and activities, wire-compatible with the other Temporal SDKs:
/// same span names, same <c>_tracer-data</c> header, ids on every span.
/// </summary>
internal sealed partial class TracingInterceptor
{
    private readonly ConcurrentDictionary<string, string> runActivityNames = new(StringComparer.Ordinal);
    private int failureReported;

    public TracingInterceptor(
        TemporalMonitoringInterceptorOptions options,
        ILogger<TracingInterceptor> logger,
        EmittedKeys emitted)
    {
        Options = options;
        HeaderKey = options.HeaderKey;
        Logger = logger;
        Emitted = emitted;
        if (ActivityIdOverride.Unsupported is { } reason)
        {
            Log.WorkflowSpansUnavailable(logger, reason.Message);
        }
    }

    /// <summary>False when ids cannot be derived from the run, which turns workflow spans off.</summary>
    public static bool WorkflowSpansSupported => ActivityIdOverride.Unsupported is null;

    internal TemporalMonitoringInterceptorOptions Options { get; }

    /// <summary>Gets the Temporal header the trace context travels in.</summary>
    internal string HeaderKey { get; }

    internal ILogger Logger { get; }

    internal EmittedKeys Emitted { get; }

    /// <summary>
    /// Telemetry that failed (an exporter or listener threw) is dropped; said once, the worker goes on.
    /// </summary>
    internal void ReportFailure(Exception exception)
    {
        if (Interlocked.Exchange(ref failureReported, 1) == 0)
        {
            Log.TelemetryFailed(Logger, exception.GetType().Name, exception.Message);
        }
    }

    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
        new ClientOutbound(this, nextInterceptor);

    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        WorkflowSpansSupported ? new WorkflowInbound(this, nextInterceptor) : nextInterceptor;

    private string RunActivityName(string activityType) =>
        runActivityNames.TryGetValue(activityType, out var name)
            ? name
            : runActivityNames.GetOrAdd(activityType, static type => "RunActivity:" + type);

    /// <summary>The context to send onward: the span's own, else the ambient one.</summary>
    private static ActivityContext Outgoing(Activity? span) =>
        span?.Context ?? Activity.Current?.Context ?? default;

    private IDictionary<string, Payload>? Inject(IDictionary<string, Payload>? headers, Activity? span)
    {
        var context = Outgoing(span);
        if (context == default)
        {
            return headers;
        }

        return TraceHeader.With(headers, HeaderKey, context, CurrentBaggage());
    }

    private string? CurrentBaggage()
    {
        if (!Options.PropagateBaggage)
        {
            return null;
        }

        var baggage = Baggage.Current;
        if (baggage.Count == 0)
        {
            return null;
        }

        var carrier = new Dictionary<string, string>(1);
        OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator.Inject(
            new OpenTelemetry.Context.Propagation.PropagationContext(default, baggage),
            carrier,
            static (c, key, value) => c[key] = value);
        return carrier.TryGetValue("baggage", out var value) ? value : null;
    }

    private static void RestoreBaggage(string? baggage)
    {
        if (baggage is null)
        {
            return;
        }

        var carrier = new Dictionary<string, string>(1) { ["baggage"] = baggage };
        var context = OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator.Extract(
            default,
            carrier,
            static (c, key) => c.TryGetValue(key, out var value) ? [value] : []);
        Baggage.Current = context.Baggage;
    }

    /// <summary>Client spans; the header carries the span's context to the workflow.</summary>
    private sealed class ClientOutbound(TracingInterceptor root, ClientOutboundInterceptor next)
        : ClientOutboundInterceptor(next)
    {
        public override async Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(
            StartWorkflowInput input)
        {
            var name = input.Options.StartSignal is null ? "StartWorkflow:" : "SignalWithStartWorkflow:";
            using var span = Telemetry.Source.StartActivity(name + input.Workflow, ActivityKind.Client);
            span?.SetTag(SpanTags.WorkflowId, input.Options.Id);
            try
            {
                var handle = await base.StartWorkflowAsync<TWorkflow, TResult>(
                    input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
                span?.SetTag(SpanTags.RunId, handle.FirstExecutionRunId ?? handle.RunId);
                return handle;
            }
            catch (Exception e)
            {
                SpanStatus.Record(span, e, cancellationRequested: false);
                throw;
            }
        }

        public override async Task SignalWorkflowAsync(SignalWorkflowInput input)
        {
            if (!root.Options.TraceSignals)
            {
                // No span of its own, but the caller's context still travels to the handler.
                await base.SignalWorkflowAsync(input with { Headers = root.Inject(input.Headers, null) })
                    .ConfigureAwait(false);
                return;
            }

            using var span = Telemetry.Source.StartActivity("SignalWorkflow:" + input.Signal, ActivityKind.Client);
            TagExecution(span, input.Id, input.RunId);
            try
            {
                await base.SignalWorkflowAsync(input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
            }
            catch (Exception e)
            {
                SpanStatus.Record(span, e, cancellationRequested: false);
                throw;
            }
        }

        public override async Task<TResult> QueryWorkflowAsync<TResult>(QueryWorkflowInput input)
        {
            if (!root.Options.TraceQueries)
            {
                return await base.QueryWorkflowAsync<TResult>(input with { Headers = root.Inject(input.Headers, null) })
                    .ConfigureAwait(false);
            }

            using var span = Telemetry.Source.StartActivity("QueryWorkflow:" + input.Query, ActivityKind.Client);
            TagExecution(span, input.Id, input.RunId);
            try
            {
                return await base.QueryWorkflowAsync<TResult>(input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
            }
            catch (Exception e)
            {
                SpanStatus.Record(span, e, cancellationRequested: false);
                throw;
            }
        }

        public override async Task<WorkflowUpdateHandle<TResult>> StartWorkflowUpdateAsync<TResult>(
            StartWorkflowUpdateInput input)
        {
            if (!root.Options.TraceUpdates)
            {
                return await base.StartWorkflowUpdateAsync<TResult>(
                    input with { Headers = root.Inject(input.Headers, null) })
                    .ConfigureAwait(false);
            }

            using var span = Telemetry.Source.StartActivity("UpdateWorkflow:" + input.Update, ActivityKind.Client);
            TagExecution(span, input.Id, input.RunId);
            span?.SetTag(SpanTags.UpdateId, input.Options.Id);
            try
            {
                var handle = await base.StartWorkflowUpdateAsync<TResult>(
                    input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
                span?.SetTag(SpanTags.UpdateId, handle.Id);
                await RecordKnownFailureAsync(span, handle, input.Options.WaitForStage).ConfigureAwait(false);
                return handle;
            }
            catch (Exception e)
            {
                SpanStatus.Record(span, e, cancellationRequested: false);
                throw;
            }
        }

        public override async Task<WorkflowUpdateHandle<TUpdateResult>>
            StartUpdateWithStartWorkflowAsync<TUpdateResult>(StartUpdateWithStartWorkflowInput input)
        {
            // The start travels with the update: without update spans it still gets the caller's context.
            using var span = root.Options.TraceUpdates
                ? Telemetry.Source.StartActivity("UpdateWithStartWorkflow:" + input.Update, ActivityKind.Client)
                : null;
            var startOperation = input.Options.StartWorkflowOperation;
            span?.SetTag(SpanTags.WorkflowId, startOperation?.Options.Id);
            span?.SetTag(SpanTags.UpdateId, input.Options.Id);
            try
            {
                if (startOperation is not null)
                {
                    startOperation.Headers = root.Inject(startOperation.Headers, span);
                }

                var handle = await base.StartUpdateWithStartWorkflowAsync<TUpdateResult>(
                    input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
                span?.SetTag(SpanTags.UpdateId, handle.Id);
                span?.SetTag(SpanTags.RunId, handle.WorkflowRunId);
                await RecordKnownFailureAsync(span, handle, input.Options.WaitForStage).ConfigureAwait(false);
                return handle;
            }
            catch (Exception e)
            {
                SpanStatus.Record(span, e, cancellationRequested: false);
                throw;
            }
        }

        /// <summary>
        /// An update the validator rejected (or whose handler failed) comes back as a handle holding
        /// the failure when the call waited for completion; the exception is only thrown later, from
        /// the handle, outside this span. Reading the outcome here costs no call to the server.
        /// </summary>
        private static async Task RecordKnownFailureAsync<TResult>(
            Activity? span,
            WorkflowUpdateHandle<TResult> handle,
            WorkflowUpdateStage stage)
        {
            if (span is null || stage != WorkflowUpdateStage.Completed)
            {
                return;
            }

            try
            {
                await handle.GetResultAsync().ConfigureAwait(false);
            }
            catch (Temporalio.Exceptions.WorkflowUpdateFailedException e)
            {
                SpanStatus.Record(span, e.InnerException ?? e, cancellationRequested: false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Reading the outcome is for the span only: whatever goes wrong here is the caller's to
                // meet when it reads the result, not this span's to throw.
            }
        }

        private static void TagExecution(Activity? span, string workflowId, string? runId)
        {
            if (span is null)
            {
                return;
            }

            span.SetTag(SpanTags.WorkflowId, workflowId);
            if (runId is not null)
            {
                span.SetTag(SpanTags.RunId, runId);
            }
        }
    }

    /// <summary>Starts RunActivity, a child of the StartActivity span whose context came in the header.</summary>
    /// <returns>The span (null when not sampled or nobody listens); <paramref name="replacedBaggage"/> is the
    /// caller's baggage when the header brought baggage of its own, to restore for the caller.</returns>
    internal Activity? StartActivitySpan(
        ActivityInfo info,
        IReadOnlyDictionary<string, Payload>? headers,
        out Baggage? replacedBaggage)
    {
        var status = TraceHeader.TryRead(headers, HeaderKey, out var remote);
        if (status == TraceHeaderStatus.Malformed)
        {
            Log.MalformedTraceHeader(Logger, "RunActivity", info.WorkflowType ?? info.ActivityType);
        }

        var span = Telemetry.Source.StartActivity(
            RunActivityName(info.ActivityType),
            ActivityKind.Server,
            remote.Context);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(SpanTags.ActivityId, info.ActivityId);
            if (info.WorkflowId is { } workflowId)
            {
                span.SetTag(SpanTags.WorkflowId, workflowId);
                span.SetTag(SpanTags.RunId, info.WorkflowRunId);
            }
        }

        var baggage = Options.PropagateBaggage ? remote.Baggage : null;
        replacedBaggage = baggage is null ? null : Baggage.Current;
        RestoreBaggage(baggage);
        return span;
    }
}
