using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client.Interceptors;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring.Interception;
using Watchtower.Monitoring.Metrics;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring;

/// <summary>
/// Spans and metrics for a Temporal client and every worker built on it. Put it in the client's
/// <c>Interceptors</c>: workers use a client's interceptors too. Adding it to a worker's own
/// interceptors as well is harmless: the second copy steps aside, so nothing is recorded twice.
/// </summary>
public sealed class TemporalMonitoringInterceptor : IClientInterceptor, IWorkerInterceptor
{
    private readonly TracingInterceptor? tracing;
    private readonly MetricsInterceptor? metrics;
    private readonly TraceIdSearchAttribute? traceIdAttribute;

    /// <summary>Initializes a new instance of the <see cref="TemporalMonitoringInterceptor"/> class.</summary>
    /// <param name="options">What to record; the defaults record everything.</param>
    /// <param name="loggerFactory">Logger factory for the interceptor's warnings (malformed trace headers).</param>
    /// <exception cref="ArgumentException">An option cannot be used; the message names it.</exception>
    public TemporalMonitoringInterceptor(
        TemporalMonitoringInterceptorOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = (options ?? new()).Validated();
        loggerFactory ??= NullLoggerFactory.Instance;
        var emitted = new EmittedKeys();
        tracing = Options.Tracing
            ? new TracingInterceptor(Options, loggerFactory.CreateLogger<TracingInterceptor>(), emitted)
            : null;
        metrics = Options.Metrics
            ? new MetricsInterceptor(loggerFactory.CreateLogger<MetricsInterceptor>(), emitted)
            : null;

        // Apart from tracing: the upsert is a command, which replays must find whether spans are on or not.
        traceIdAttribute = Options.TraceIdSearchAttribute is { Length: > 0 } name
            ? new TraceIdSearchAttribute(name, Options, loggerFactory.CreateLogger<TraceIdSearchAttribute>())
            : null;
    }

    /// <summary>Gets the options in effect (a copy of those given).</summary>
    internal TemporalMonitoringInterceptorOptions Options { get; }

    /// <summary>
    /// Looks up <see cref="TemporalMonitoringInterceptorOptions.TraceIdSearchAttribute"/> in the client's namespace,
    /// and from then on gives new runs their trace id in it if it is registered as Keyword; if not, says so once
    /// and leaves runs as they are. Call it once the client is connected, before the worker polls; again after a
    /// reconnect to pick up an attribute registered meanwhile.
    /// </summary>
    /// <param name="client">A client connected to the worker's namespace.</param>
    /// <param name="cancellationToken">Stops the lookup.</param>
    /// <returns>Whether runs get the attribute.</returns>
    public Task<bool> CheckTraceIdSearchAttributeAsync(
        Temporalio.Client.ITemporalClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return traceIdAttribute?.CheckAsync(client, cancellationToken) ?? Task.FromResult(false);
    }

    /// <summary>
    /// Gets this worker's runs in flight, last completion and recent failure ratio, as the health endpoints show
    /// them; null when <see cref="TemporalMonitoringInterceptorOptions.Metrics"/> is off.
    /// </summary>
    /// <returns>A summary as of now.</returns>
    public WorkflowRunSummary? GetWorkflowRunSummary() => metrics?.Runs.Summary();

    /// <summary>
    /// Waits until the spans and run measurements that workflow tasks of this process made before the call have been
    /// handed to OpenTelemetry: workflow tasks queue them for the thread pool rather than export from the workflow's
    /// own thread. Call it once the worker has stopped and before the tracer and meter providers shut down, so that
    /// the last ones are exported too.
    /// </summary>
    /// <param name="timeout">How long to wait at most.</param>
    /// <returns>Whether all of them were handed over in time.</returns>
    public bool WaitForQueuedTelemetry(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var spans = tracing is null || TracingInterceptor.WaitForQueuedSpans(timeout);
        var left = timeout - Stopwatch.GetElapsedTime(started);
        var measurements = metrics is null
            || WorkflowRecorder.WaitRecorded(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        return spans && measurements;
    }

    /// <summary>Gets the metrics half, for benchmarks that switch parts of it off.</summary>
    internal MetricsInterceptor? Metrics => metrics;

    /// <inheritdoc/>
    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor)
    {
        // Spans outermost, so metrics are recorded inside the span that explains them.
        var next = metrics?.InterceptClient(nextInterceptor) ?? nextInterceptor;
        return tracing?.InterceptClient(next) ?? next;
    }

    /// <inheritdoc/>
    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor)
    {
        // One watch on the run's end for both: each watch is a continuation, with about 1 KB of the SDK's task events.
        var runEnd = new RunEndWatch();
        var next = metrics?.InterceptWorkflow(nextInterceptor, runEnd) ?? nextInterceptor;
        next = tracing?.InterceptWorkflow(next, runEnd) ?? next;

        // Outermost, so its outbound is innermost: a child's start reaches it with tracing's header already in it.
        return traceIdAttribute?.InterceptWorkflow(next) ?? next;
    }

    /// <inheritdoc/>
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        tracing is null && metrics is null
            ? nextInterceptor
            : new MonitoredActivityInbound(tracing, metrics, nextInterceptor);
}
