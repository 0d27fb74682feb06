using System.Diagnostics.Metrics;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// The interceptors' instruments, created once on the library's Meter. Durations are in seconds and
/// counters count things, so Prometheus sees <c>_seconds</c> histograms and <c>_total</c> counters.
/// </summary>
internal static class WorkerMetrics
{
    public const string Namespace = "namespace";
    public const string TaskQueue = "task_queue";
    public const string WorkflowType = "workflow_type";
    public const string ActivityType = "activity_type";
    public const string Outcome = "outcome";
    public const string Local = "local";
    public const string Operation = "operation";

    /// <summary>
    /// Bucket boundaries for every seconds histogram, from a fast activity (5 ms) to a day-long workflow.
    /// OpenTelemetry's defaults (0 to 10000) assume milliseconds. Given as advice on the instrument, so
    /// any meter provider uses them without a view.
    /// </summary>
    public static readonly double[] SecondsBuckets =
    [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400,
    ];

    /// <summary>Bucket boundaries for byte histograms: powers of four from 1 KiB to 1 GiB.</summary>
    public static readonly long[] ByteBuckets =
        [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864, 268_435_456, 1_073_741_824];

    public static readonly InstrumentAdvice<double> SecondsAdvice = new()
    {
        HistogramBucketBoundaries = SecondsBuckets,
    };

    public static readonly InstrumentAdvice<long> BytesAdvice = new() { HistogramBucketBoundaries = ByteBuckets };

    /// <summary>
    /// The same boundaries in milliseconds, for the SDK's durations as Temporal's Core dashboard reads them.
    /// </summary>
    public static readonly InstrumentAdvice<double> MillisecondsAdvice = new()
    {
        HistogramBucketBoundaries = [.. SecondsBuckets.Select(static seconds => seconds * 1000)],
    };

    public static readonly Counter<long> WorkflowsStarted = Telemetry.Meter.CreateCounter<long>(
        "watchtower.workflows.started", "{workflow}", "Workflow runs started on this worker, counted once per run.");

    public static readonly Counter<long> WorkflowsClosed = Telemetry.Meter.CreateCounter<long>(
        "watchtower.workflows.closed",
        "{workflow}",
        "Workflow runs closed by this worker, by outcome: completed, failed, canceled, timed_out, continued_as_new.");

    public static readonly Histogram<double> WorkflowDuration = Telemetry.Meter.CreateHistogram<double>(
        "watchtower.workflow.duration",
        "s",
        "Workflow run duration from the server's start of the run to its close.",
        tags: null,
        SecondsAdvice);

    public static readonly UpDownCounter<long> WorkflowsInFlight = Telemetry.Meter.CreateUpDownCounter<long>(
        "watchtower.workflows.in_flight",
        "{workflow}",
        "Workflow runs started and not yet closed, as counted by this worker; sum over workers for the open runs.");

    // Attempts by outcome are this histogram's count: a counter beside it would cost every execution a
    // recording for a number Prometheus already has.
    public static readonly Histogram<double> ActivityDuration = Telemetry.Meter.CreateHistogram<double>(
        "watchtower.activity.duration",
        "s",
        "Activity attempt execution time on this worker, by outcome; its count is the attempts executed.",
        tags: null,
        SecondsAdvice);

    public static readonly Histogram<long> ActivityAllocated = Telemetry.Meter.CreateHistogram<long>(
        "watchtower.activity.allocated",
        "By",
        "Bytes allocated by an activity attempt's code, on every thread it ran on.",
        tags: null,
        BytesAdvice);

    public static readonly Histogram<double> ActivityScheduleToStart = Telemetry.Meter.CreateHistogram<double>(
        "watchtower.activity.schedule_to_start",
        "s",
        "Time an activity attempt waited in the task queue.",
        tags: null,
        SecondsAdvice);

    // These record only when a run is signalled, queried or updated, an activity retries or heartbeats, or the client
    // is called, so each is made on its first value (see OnFirstUse); none is asked for on a workflow's thread.
    private static readonly OnFirstUse<Counter<long>> SignalsOnFirstUse = CounterOnFirstUse(
        "watchtower.workflow.signals", "{signal}", "Signals handled, by outcome.");

    private static readonly OnFirstUse<Counter<long>> QueriesOnFirstUse = CounterOnFirstUse(
        "watchtower.workflow.queries", "{query}", "Queries answered, by outcome.");

    private static readonly OnFirstUse<Counter<long>> UpdatesOnFirstUse = CounterOnFirstUse(
        "watchtower.workflow.updates",
        "{update}",
        "Updates handled, by outcome: completed, failed, rejected (by the validator).");

    private static readonly OnFirstUse<Counter<long>> ActivityRetriesOnFirstUse = CounterOnFirstUse(
        "watchtower.activity.retries",
        "{execution}",
        "Activity attempts after the first (attempt number above 1): retries after a failure or timeout.");

    private static readonly OnFirstUse<Counter<long>> ActivityHeartbeatsOnFirstUse = CounterOnFirstUse(
        "watchtower.activity.heartbeats", "{heartbeat}", "Heartbeats recorded by activities.");

    private static readonly OnFirstUse<Counter<long>> ClientRequestsOnFirstUse = CounterOnFirstUse(
        "watchtower.client.requests",
        "{request}",
        "Client calls (start, signal, query, update), by operation and outcome.");

    private static readonly OnFirstUse<Histogram<double>> ClientRequestDurationOnFirstUse = new(
        () => Telemetry.Meter.CreateHistogram<double>(
            "watchtower.client.request.duration",
            "s",
            "Client call latency, by operation and outcome.",
            tags: null,
            SecondsAdvice));

    public static Counter<long> Signals => SignalsOnFirstUse.Value;

    public static Counter<long> Queries => QueriesOnFirstUse.Value;

    public static Counter<long> Updates => UpdatesOnFirstUse.Value;

    public static Counter<long> ActivityRetries => ActivityRetriesOnFirstUse.Value;

    public static Counter<long> ActivityHeartbeats => ActivityHeartbeatsOnFirstUse.Value;

    public static Counter<long> ClientRequests => ClientRequestsOnFirstUse.Value;

    public static Histogram<double> ClientRequestDuration => ClientRequestDurationOnFirstUse.Value;

    private static OnFirstUse<Counter<long>> CounterOnFirstUse(string name, string unit, string description) =>
        new(() => Telemetry.Meter.CreateCounter<long>(name, unit, description));
}
