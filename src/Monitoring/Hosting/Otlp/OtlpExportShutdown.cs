using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Watchtower.Monitoring.Hosting.Otlp;

/// <summary>
/// Flushes what is left to export once the worker has stopped, within <see cref="FlushBudget"/>. Left to
/// the container's disposal, each provider waits up to five seconds for a collector that does not answer,
/// after the host's shutdown timeout: a worker given 30 s to stop would be killed instead.
/// </summary>
internal sealed class OtlpExportShutdown(
    TracerProvider? tracing,
    MeterProvider? metrics,
    TemporalMonitoringInterceptor? interceptor) : IHostedLifecycleService
{
    public static readonly TimeSpan FlushBudget = TimeSpan.FromSeconds(3);

    // What the last workflow tasks queued for the thread pool reaches the providers first; it takes microseconds
    // unless the pool is starved.
    private static readonly TimeSpan QueueBudget = TimeSpan.FromMilliseconds(500);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Spans first, with two thirds of the budget: a span not sent is gone, while a metric's last points only
    // miss the final moments of counts a scrape or the previous export already carried.
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.Run(
        () =>
        {
            interceptor?.WaitForQueuedTelemetry(QueueBudget);
            var budget = (int)FlushBudget.TotalMilliseconds;
            tracing?.Shutdown(budget * 2 / 3);
            metrics?.Shutdown(budget / 3);
        },
        CancellationToken.None);
}
