using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;
using Temporalio.Worker;

namespace Watchtower.Worker.Hosting;

/// <summary>
/// Runs the Temporal worker for the host. Unlike the stock hosted worker it survives a server that
/// is missing at start or fails later: it connects with backoff, and restarts the worker with
/// backoff if the worker faults. On shutdown in-flight activities get the graceful timeout to finish.
/// </summary>
internal sealed class ResilientWorkerService(
    TemporalConnection connection,
    ConnectionSettings settings,
    IOptionsMonitor<TemporalWorkerServiceOptions> workerOptions,
    IOptions<PipelineWorkerOptions> options,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider) : BackgroundService
{
    /// <summary>Name of the worker options configured through the hosting builder.</summary>
    public const string OptionsName = "document-pipeline-worker";

    private readonly ILogger logger = loggerFactory.CreateLogger<ResilientWorkerService>();
    private bool hintShown;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var client = await connection.GetClientAsync(stoppingToken).ConfigureAwait(false);
                var configured = workerOptions.Get(OptionsName);
                var worker = (TemporalWorkerOptions)configured.Clone();
                worker.TaskQueue = settings.TaskQueue;
                worker.GracefulShutdownTimeout = options.Value.GracefulShutdownTimeout;
                worker.LoggerFactory = loggerFactory;
                using var temporalWorker = new TemporalWorker(client, worker);
                Log.WorkerPolling(logger, settings.TaskQueue);
                if (!hintShown)
                {
                    hintShown = true;
                    Log.StartCommandHint(logger, StartCommand.For(settings.TaskQueue, connection.Address, settings.Namespace));
                }

                attempt = 0;
                using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var watch = WatchConnectionAsync(client, watchStop.Token);
                try
                {
                    await temporalWorker.ExecuteAsync(stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    await watchStop.CancelAsync().ConfigureAwait(false);
                    await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                Log.WorkerStopped(logger, settings.TaskQueue);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                Log.WorkerStopped(logger, settings.TaskQueue);
                return;
            }
            catch (Exception e)
            {
                var delay = Backoff.Delay(options.Value.ConnectRetry, Math.Max(attempt, 1));
                Log.WorkerFaulted(logger, settings.TaskQueue, TemporalConnection.Describe(e), delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// While the worker polls, checks the server's health: the pollers retry on their own, so this
    /// is what tells the operator, once per check, that the server is gone and when it is back.
    /// </summary>
    private async Task WatchConnectionAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var failures = 0;
        var lostAt = DateTimeOffset.MinValue;
        var address = connection.Address ?? "(unknown)";
        while (!cancellationToken.IsCancellationRequested)
        {
            var delay = failures == 0 ? options.Value.HealthCheckInterval : Backoff.Delay(options.Value.ConnectRetry, failures);
            await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var healthy = await client.Connection.CheckHealthAsync(options: new RpcOptions { CancellationToken = timeout.Token }).ConfigureAwait(false);
                if (!healthy)
                {
                    throw new InvalidOperationException("the server reports it is not serving");
                }

                if (failures > 0)
                {
                    Log.ConnectionRestored(logger, address, (timeProvider.GetUtcNow() - lostAt).TotalSeconds);
                }

                failures = 0;
                connection.IsReachable = true;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    lostAt = timeProvider.GetUtcNow();
                }

                connection.IsReachable = false;
                Log.ConnectionLost(logger, address, failures, TemporalConnection.Describe(e), Backoff.Delay(options.Value.ConnectRetry, failures).TotalSeconds);
            }
        }
    }
}
