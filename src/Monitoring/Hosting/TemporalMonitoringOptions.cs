namespace Watchtower.Monitoring.Hosting;

/// <summary>
/// Monitoring settings, bound from the <c>Monitoring</c> configuration section; the environment
/// variables <c>MONITORING_ENABLED</c>, <c>MONITORING_HEALTH</c>, <c>MONITORING_HOST</c>, <c>MONITORING_PORT</c>
/// and <c>MONITORING_PATH</c> override the listener's settings.
/// </summary>
public sealed class TemporalMonitoringOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Monitoring";

    /// <summary>
    /// Gets or sets a value indicating whether the Prometheus scrape endpoint is served. The health endpoints have
    /// their own switch, <see cref="Health"/>: an orchestrator's probes keep working when the scrape is off.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether <c>/health/live</c>, <c>/health/startup</c> and <c>/health/ready</c>
    /// are served on the same host and port as the scrape.
    /// </summary>
    public bool Health { get; set; } = true;

    /// <summary>
    /// Gets or sets the scrape endpoint's host: <c>localhost</c> (loopback only), a host name or address, or
    /// <c>*</c> for every interface.
    /// </summary>
    public string Host { get; set; } = "localhost";

    /// <summary>Gets or sets the scrape endpoint's port.</summary>
    public int Port { get; set; } = 9464;

    /// <summary>Gets or sets the scrape endpoint's path.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// Gets or sets how often the server is asked how many tasks wait on the worker's task queue (the
    /// <c>watchtower_task_queue_backlog*</c> gauges); zero turns that off. One call per task queue type each time.
    /// </summary>
    public TimeSpan TaskQueueBacklogInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets a second scrape path on the same listener (such as <c>/metrics/temporal-core</c>) that serves the
    /// Temporal SDK's own metrics as Temporal's official Core SDK Grafana dashboard reads them: Core's names, counters
    /// without <c>_total</c>, durations in milliseconds without a unit suffix. Empty, the default: not served, and
    /// nothing is recorded for it; set, every SDK recording is made twice.
    /// </summary>
    public string? SdkDashboardPath { get; set; }

    /// <summary>Gets or sets the service name on spans and metrics when <c>OTEL_SERVICE_NAME</c> is not set.</summary>
    public string ServiceName { get; set; } = "watchtower-worker";

    /// <summary>Gets or sets a value indicating whether spans are created.</summary>
    public bool Tracing { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the interceptors and the SDK bridge record metrics.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether .NET runtime metrics (GC, thread pool, exceptions) are exported.
    /// </summary>
    public bool RuntimeMetrics { get; set; } = true;

    /// <summary>
    /// Gets or sets how many label sets each metric keeps. A meter provider reserves this storage for every metric
    /// it has, up front (about 95 bytes a label set), whether used or not; OpenTelemetry's default of 2,000 cost about
    /// 10 MB a provider. Label sets past it are summed into one series labelled <c>otel_metric_overflow</c>. Metrics
    /// whose labels the library or the runtime fixes (a GC generation, a monitor's name) keep 20 instead.
    /// </summary>
    public int MaxSeriesPerMetric { get; set; } = 500;

    /// <summary>
    /// Gets or sets the address of a run's trace in your trace viewer, with <c>{traceId}</c> where the trace id goes
    /// (Jaeger: <c>http://localhost:16686/trace/{traceId}</c>). Set, each recorded run keeps a link to its trace in
    /// the current details the Temporal Web UI shows on its page. Empty, the default: no link.
    /// </summary>
    public string? TraceLinkTemplate { get; set; }

    /// <summary>
    /// Gets or sets the Keyword search attribute each run gets its trace id in, when the namespace has it registered
    /// (<c>task dev</c> and the worker's own dev server register <c>TraceId</c>); empty: none.
    /// </summary>
    public string? TraceIdSearchAttribute { get; set; } = "TraceId";

    /// <summary>
    /// Gets the activity types that get no spans (<c>Monitoring:UntracedActivityTypes:0</c>, ...): periodic
    /// housekeeping that would fill a long run's trace. Their metrics stay, and their code runs in the caller's trace.
    /// </summary>
    public IList<string> UntracedActivityTypes { get; } = [];

    /// <summary>
    /// Gets the search attributes put on each run's span (<c>Monitoring:SpanSearchAttributes:0</c>, ...); none by
    /// default, since a search attribute may hold what must not leave Temporal.
    /// </summary>
    public IList<string> SpanSearchAttributes { get; } = [];

    /// <summary>Gets variables that could not be read, reported by validation at start-up.</summary>
    internal List<string> SettingErrors { get; } = [];
}
