using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring;

/// <summary>
/// What <see cref="TemporalMonitoringInterceptor"/> records, and the switches the other Temporal SDKs'
/// tracing interceptors offer. The defaults match those SDKs: every span, the <c>_tracer-data</c> header,
/// baggage carried along.
/// </summary>
public sealed class TemporalMonitoringInterceptorOptions
{
    /// <summary>The header the Temporal SDKs' OpenTelemetry interceptors use for trace context.</summary>
    public const string DefaultHeaderKey = "_tracer-data";

    /// <summary>Gets or sets a value indicating whether spans are created.</summary>
    public bool Tracing { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether workflow, activity and client metrics are recorded.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>
    /// Gets or sets the Temporal header that carries trace context. Change it only together with every
    /// other client and worker that shares traces with this one.
    /// </summary>
    public string HeaderKey { get; set; } = DefaultHeaderKey;

    /// <summary>
    /// Gets or sets a value indicating whether signals get spans (<c>SignalWorkflow</c>,
    /// <c>SignalChildWorkflow</c>, <c>SignalExternalWorkflow</c>, <c>HandleSignal</c>). Off, the caller's
    /// context still travels, so the work a handler starts stays in the caller's trace.
    /// </summary>
    public bool TraceSignals { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether queries get spans (<c>QueryWorkflow</c>, <c>HandleQuery</c>).
    /// </summary>
    public bool TraceQueries { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether updates get spans (<c>UpdateWorkflow</c>,
    /// <c>UpdateWithStartWorkflow</c>, <c>ValidateUpdate</c>, <c>HandleUpdate</c>).
    /// </summary>
    public bool TraceUpdates { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether W3C baggage travels in the header with the trace context.
    /// </summary>
    public bool PropagateBaggage { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether a run that continued as new starts a trace of its own, with a span
    /// link to the <c>ContinueAsNew</c> span of the run before it. A workflow that runs for months then gives one
    /// trace a run, each bounded by its history, instead of one trace no viewer can show. Off, every run stays in
    /// the first run's trace, as the other Temporal SDKs keep it. A first run, a retry and a child stay children
    /// of their caller either way.
    /// </summary>
    public bool ContinueAsNewStartsNewTrace { get; set; } = true;

    /// <summary>
    /// Gets the activity types that get no spans (<c>StartActivity</c>, <c>RunActivity</c>): periodic
    /// housekeeping, such as a heartbeat every few seconds, that would fill a long run's trace. Their metrics are
    /// recorded, and their code runs in the caller's trace: its log lines carry it and a span it starts joins it.
    /// </summary>
    public ISet<string> UntracedActivityTypes { get; private set; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the search attributes put on each run's <c>RunWorkflow</c> span as <c>temporal.search_attribute.NAME</c>,
    /// with their values when the run ends (text cut to 256 characters). Only those named here: a search attribute
    /// may hold what must not leave Temporal, so none is copied by default.
    /// </summary>
    public ISet<string> SpanSearchAttributes { get; private set; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets the address of a run's trace in your trace viewer, with <c>{traceId}</c> where the trace id goes
    /// (Jaeger: <c>http://localhost:16686/trace/{traceId}</c>). Set, each recorded run keeps a link to its trace at
    /// the end of its current details, which the Temporal Web UI shows on the run's page. Empty, the default: none.
    /// </summary>
    public string? TraceLinkTemplate { get; set; }

    /// <summary>
    /// Gets or sets the Keyword search attribute each recorded run gets its trace id in, so that runs are found by
    /// trace (<c>temporal workflow list --query 'TraceId="..."'</c>). None is set until
    /// <see cref="TemporalMonitoringInterceptor.CheckTraceIdSearchAttributeAsync"/> finds it registered in the
    /// namespace, so the default, <c>TraceId</c>, changes nothing until then. A run that gets it has a patch marker
    /// and an upsert in its history: replay such histories through this interceptor with the same name. Empty: none.
    /// </summary>
    public string? TraceIdSearchAttribute { get; set; } = "TraceId";

    /// <summary>A copy, checked, so that later changes to the caller's instance change nothing.</summary>
    internal TemporalMonitoringInterceptorOptions Validated()
    {
        if (string.IsNullOrWhiteSpace(HeaderKey))
        {
            throw new ArgumentException(
                $"{nameof(TemporalMonitoringInterceptorOptions)}.{nameof(HeaderKey)} must not be empty.",
                nameof(HeaderKey));
        }

        if (TraceLinkTemplate is { Length: > 0 } template
            && (!template.Contains(TraceLinkInDetails.TraceIdPlaceholder, StringComparison.Ordinal)
                || !Uri.TryCreate(
                    template.Replace(TraceLinkInDetails.TraceIdPlaceholder, "0", StringComparison.Ordinal),
                    UriKind.Absolute,
                    out var address)
                || address.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException(
                $"{nameof(TemporalMonitoringInterceptorOptions)}.{nameof(TraceLinkTemplate)} must be an http or "
                + "https address with {traceId} in it, such as http://localhost:16686/trace/{traceId}; "
                + $"got '{template}'.",
                nameof(TraceLinkTemplate));
        }

        var copy = (TemporalMonitoringInterceptorOptions)MemberwiseClone();
        copy.UntracedActivityTypes = new HashSet<string>(UntracedActivityTypes, StringComparer.Ordinal);
        copy.SpanSearchAttributes = new HashSet<string>(SpanSearchAttributes, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>Whether spans for this activity type are left out; no lookup when none are.</summary>
    internal bool IsUntraced(string activityType) =>
        UntracedActivityTypes.Count != 0 && UntracedActivityTypes.Contains(activityType);
}
