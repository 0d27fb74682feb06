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
    }

    /// <summary>Gets the options in effect (a copy of those given).</summary>
    internal TemporalMonitoringInterceptorOptions Options { get; }

    /// <summary>
    /// Gets this worker's runs in flight, last completion and recent failure ratio, as the health endpoints show
    /// them; null when <see cref="TemporalMonitoringInterceptorOptions.Metrics"/> is off.
    /// </summary>
    /// <returns>A summary as of now.</returns>
    public WorkflowRunSummary? GetWorkflowRunSummary() => metrics?.Runs.Summary();

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
        var next = metrics?.InterceptWorkflow(nextInterceptor) ?? nextInterceptor;
        return tracing?.InterceptWorkflow(next) ?? next;
    }

    /// <inheritdoc/>
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        tracing is null && metrics is null
            ? nextInterceptor
            : new MonitoredActivityInbound(tracing, metrics, nextInterceptor);
}
