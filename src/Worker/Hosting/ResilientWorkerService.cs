using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
                await temporalWorker.ExecuteAsync(stoppingToken).ConfigureAwait(false);
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
}
