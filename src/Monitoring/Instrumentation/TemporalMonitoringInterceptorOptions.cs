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

    /// <summary>A copy, checked, so that later changes to the caller's instance change nothing.</summary>
    internal TemporalMonitoringInterceptorOptions Validated()
    {
        if (string.IsNullOrWhiteSpace(HeaderKey))
        {
            throw new ArgumentException(
                $"{nameof(TemporalMonitoringInterceptorOptions)}.{nameof(HeaderKey)} must not be empty.",
                nameof(HeaderKey));
        }

        return (TemporalMonitoringInterceptorOptions)MemberwiseClone();
    }
}
