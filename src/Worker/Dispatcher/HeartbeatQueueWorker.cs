using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Runtime;
using Temporalio.Worker;
using Watchtower.Monitoring.Hosting;
using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;
using Watchtower.Workflows.Dispatcher;

namespace Watchtower.Worker.Dispatcher;

/// <summary>
/// Polls the task queue that only this process polls, where the dispatcher's heartbeats arrive. It runs
/// on a connection and runtime of its own, without interceptors or SDK metrics: its per-process task
/// queue must not become a label value of the worker's own series.
/// </summary>
internal sealed class HeartbeatQueueWorker(
    IOptions<PipelineWorkerOptions> options,
    ConnectionSettings settings,
    WorkerConnection connection,
    IDispatcherHeartbeats heartbeats,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider)
{
    private const int MaxTaskQueueLength = 200;

    private readonly ILogger logger = loggerFactory.CreateLogger<HeartbeatQueueWorker>();
    private TemporalRuntime? runtime;
    private ITemporalClient? client;

    /// <summary>
    /// Gets the task queue: a new one per process, so a heartbeat that arrives proves this very process
    /// took it, not a sibling or a predecessor.
    /// </summary>
    public string TaskQueue { get; } = QueueFor(settings.TaskQueue);

    /// <summary>Polls until <paramref name="cancellationToken"/> stops it, starting over after a fault.</summary>
    /// <param name="cancellationToken">Stops polling.</param>
    /// <returns>A task that never faults.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        for (var failures = 0; !cancellationToken.IsCancellationRequested;)
        {
            try
            {
                runtime ??= new TemporalRuntime(new(new TelemetryOptions
                {
                    Logging = TemporalCoreLogs.ForwardTo(loggerFactory),
                }));
                client ??= await connection.ConnectSeparateAsync(runtime, cancellationToken).ConfigureAwait(false);
                using var worker = new TemporalWorker(client, new TemporalWorkerOptions(TaskQueue)
                {
                    LoggerFactory = loggerFactory,
                    MaxConcurrentActivities = 4,
                }.AddAllActivities(new DispatcherHeartbeatActivities(heartbeats)));
                await worker.ExecuteAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var delay = Backoff.Delay(options.Value.ConnectRetry, ++failures);
                Log.HeartbeatWorkerFaulted(logger, TaskQueue, WorkerConnection.Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, timeProvider, cancellationToken)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    internal static string QueueFor(string taskQueue)
    {
        var host = new string(
            [.. Environment.MachineName.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '-')]);
        var suffix = string.Create(
            CultureInfo.InvariantCulture,
            $"-heartbeat-{(host.Length == 0 ? "host" : host[..Math.Min(host.Length, 30)])}"
            + $"-{Guid.NewGuid().ToString("N")[..12]}");
        return taskQueue[..Math.Min(taskQueue.Length, MaxTaskQueueLength - suffix.Length)] + suffix;
    }
}
