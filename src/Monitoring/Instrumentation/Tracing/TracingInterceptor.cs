using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using Temporalio.Activities;
using Temporalio.Api.Common.V1;
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
    private readonly SpanNames runWorkflowNames = new("RunWorkflow:");
    private readonly SpanNames runActivityNames = new("RunActivity:");
    private readonly SpanNames startActivityNames = new("StartActivity:");
    private readonly SpanNames startChildWorkflowNames = new("StartChildWorkflow:");

    // Per host, so that a hostile caller of one worker cannot silence another's warnings.
    private readonly RateLimitedWarning droppedWarning = new(TimeSpan.FromMinutes(1));
    private readonly RateLimitedWarning malformedWarning = new(TimeSpan.FromMinutes(1));
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

    /// <summary>
    /// Waits until the workflow spans this process ended before the call have reached the tracer's processors, or
    /// <paramref name="timeout"/> passes; whether they all did.
    /// </summary>
    public static bool WaitForQueuedSpans(TimeSpan timeout) => WorkflowSpan.WaitEmitted(timeout);

    /// <summary>
    /// Gets or sets the most workflow spans that may wait for a pool thread; past it, an exporter or processor has
    /// stopped keeping up, and new spans are dropped and that is said once. Process-wide; tests lower it.
    /// </summary>
    internal static int MaxQueuedSpans { get; set; } = 10_000;

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
        if (Interlocked.Exchange(ref failureReported, 1) != 0)
        {
            return;
        }

        try
        {
            Log.TelemetryFailed(Logger, exception.GetType().Name, exception.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The log sink is what broke: nothing is left to say it with, and the caller must not see it.
        }
    }

    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
        new ClientOutbound(this, nextInterceptor);

    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        InterceptWorkflow(nextInterceptor, new RunEndWatch());

    /// <summary>The workflow's interceptor, sharing the watch on the run's end with the instance's others.</summary>
    public WorkflowInboundInterceptor InterceptWorkflow(
        WorkflowInboundInterceptor nextInterceptor, RunEndWatch runEnd) =>
        WorkflowSpansSupported ? new WorkflowInbound(this, nextInterceptor, runEnd) : nextInterceptor;

    /// <summary>
    /// For an activity that gets no span: the caller's context made current all the same, so that the activity's
    /// log lines carry the caller's trace and a span its code starts joins it. Outside any ActivitySource, so no
    /// listener sees or exports it.
    /// </summary>
    private static Activity? CallerContext(string name, ActivityContext caller)
    {
        if (caller == default)
        {
            return null;
        }

        var carrier = new Activity(name);
        carrier.SetParentId(caller.TraceId, caller.SpanId, caller.TraceFlags);
        return carrier.Start();
    }

    /// <summary>The context to send onward: the span's own, else the ambient one.</summary>
    private static ActivityContext Outgoing(Activity? span) =>
        span?.Context ?? Activity.Current?.Context ?? default;

    /// <summary>
    /// The headers with the context to send onward, within the limits; on any failure the headers as they
    /// were: the call goes out either way.
    /// </summary>
    private IDictionary<string, Payload>? Inject(IDictionary<string, Payload>? headers, Activity? span)
    {
        try
        {
            var context = Outgoing(span);
            if (context == default)
            {
                return headers;
            }

            var result = TraceHeader.WithLimits(headers, HeaderKey, context, CurrentBaggage(), out var dropped);
            ReportDropped(dropped);
            return result;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ReportFailure(e);
            return headers;
        }
    }

    /// <summary>Counts what a trace context broke the limits with, and warns at most once a minute per host.</summary>
    internal void ReportDropped(TraceContextParts dropped) =>
        TraceContextLimits.Report(dropped, Logger, droppedWarning);

    /// <summary>
    /// What reading a received header found wrong: a header that could not be read (counted, and said at most
    /// once a minute per host through <paramref name="logger"/>), or parts left out for breaking the limits.
    /// Never throws: a log sink or listener that does must not fail the workflow task or activity reading it.
    /// </summary>
    internal void ReportReceived(
        TraceHeaderStatus status, TraceContextParts dropped, ILogger logger, string operation, string type)
    {
        try
        {
            if (status == TraceHeaderStatus.Malformed)
            {
                TraceContextLimits.Report(TraceContextParts.Header, logger: null, droppedWarning);
                if (malformedWarning.TryEnter(out var heldBack))
                {
                    Log.MalformedTraceHeader(logger, operation, type, heldBack);
                }
            }

            ReportDropped(dropped);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ReportFailure(e);
        }
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

    /// <summary>Starts RunActivity, a child of the StartActivity span whose context came in the header.</summary>
    /// <returns>The span (null when not sampled or nobody listens); <paramref name="replacedBaggage"/> is the
    /// caller's baggage when the header brought baggage of its own, to restore for the caller.</returns>
    internal Activity? StartActivitySpan(
        ActivityInfo info,
        IReadOnlyDictionary<string, Payload>? headers,
        out Baggage? replacedBaggage)
    {
        var status = TraceHeader.TryRead(headers, HeaderKey, out var remote);
        ReportReceived(status, remote.Dropped, Logger, "RunActivity", info.WorkflowType ?? info.ActivityType);

        var name = runActivityNames.For(info.ActivityType);
        var span = Options.IsUntraced(info.ActivityType)
            ? CallerContext(name, remote.Context)
            : Telemetry.Source.StartActivity(name, ActivityKind.Server, remote.Context);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(SpanTags.ActivityId, info.ActivityId);
            if (info.WorkflowId is { } workflowId)
            {
                span.SetTag(SpanTags.WorkflowId, workflowId);
                span.SetTag(SpanTags.RunId, info.WorkflowRunId);
            }

            span.SetTag(SpanTags.Attempt, SpanTags.AttemptValue(info.Attempt));
            span.SetTag(SpanTags.TaskQueue, info.TaskQueue);
            span.SetTag(SpanTags.Namespace, info.Namespace);
        }

        var baggage = Options.PropagateBaggage ? remote.Baggage : null;
        replacedBaggage = baggage is null ? null : Baggage.Current;
        RestoreBaggage(baggage);
        return span;
    }
}
