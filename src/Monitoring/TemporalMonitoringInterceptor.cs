using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client.Interceptors;
using Temporalio.Worker.Interceptors;
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
    /// <param name="loggerFactory">Logger factory for the interceptor's warnings (malformed trace headers).</param>
    /// <param name="tracing">Whether to create spans.</param>
    /// <param name="metrics">Whether to record metrics.</param>
    public TemporalMonitoringInterceptor(ILoggerFactory? loggerFactory = null, bool tracing = true, bool metrics = true)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var emitted = new EmittedOnce();
        this.tracing = tracing ? new TracingInterceptor(loggerFactory.CreateLogger<TracingInterceptor>(), emitted) : null;
        this.metrics = metrics ? new MetricsInterceptor(loggerFactory.CreateLogger<MetricsInterceptor>(), emitted) : null;
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
        var next = metrics?.InterceptWorkflow(nextInterceptor) ?? nextInterceptor;
        return tracing?.InterceptWorkflow(next) ?? next;
    }

    /// <inheritdoc/>
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        tracing is null && metrics is null ? nextInterceptor : new MonitoredActivityInbound(tracing, metrics, nextInterceptor);
}
