using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;
using Temporalio.Worker;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Hosting.Health;
using Watchtower.Monitoring.Hosting.TaskQueueBacklog;
using Watchtower.Worker.Connection;
using Watchtower.Worker.DevServer;
using Watchtower.Worker.Dispatcher;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.ResilientWorker;

/// <summary>
/// Runs the Temporal worker for the host. Unlike the stock hosted worker it survives a server that
/// is missing at start or fails later: it connects with backoff, watches the server while polling,
/// and restarts the worker with backoff if the worker faults. On shutdown in-flight activities get
/// the graceful timeout to finish.
/// </summary>
internal sealed class ResilientWorkerService(
    WorkerConnection connection,
    ConnectionSettings settings,
    LocalTemporalServer localServer,
    IOptionsMonitor<TemporalWorkerServiceOptions> workerOptions,
    IOptions<PipelineWorkerOptions> options,
    ILoggerFactory loggerFactory,
    TemporalWorkerHealth health,
    DispatcherKeeper dispatcher,
    TemporalMonitoringInterceptor monitoring,
    TaskQueueBacklogMonitor backlog,
    TimeProvider timeProvider) : BackgroundService
{
    /// <summary>
    /// Name under which the hosting builder registers the worker options. The SDK names options after
    /// the task queue it is given; the real task queue is only known once configuration is resolved.
    /// </summary>
    public const string OptionsName = "document-pipeline-worker";

    /// <summary>A worker that polled this long before faulting starts its restart backoff afresh.</summary>
    private static readonly TimeSpan StableRun = TimeSpan.FromMinutes(1);

    private readonly ILogger logger = loggerFactory.CreateLogger<ResilientWorkerService>();
    private bool hintShown;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = timeProvider.GetUtcNow();
            try
            {
                await RunWorkerAsync(stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Whatever a cancelled connect or poll threw on the way out is not a fault.
                break;
            }
            catch (Exception e)
            {
                // A permanent fault (wrong namespace, no permission) must not restart at the initial pace forever.
                failures = timeProvider.GetUtcNow() - started >= StableRun ? 1 : failures + 1;
                var delay = Backoff.Delay(options.Value.ConnectRetry, failures);
                Log.WorkerFaulted(logger, settings.TaskQueue, WorkerConnection.Describe(e), delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        Log.WorkerStopped(logger, settings.TaskQueue);
    }

    private async Task RunWorkerAsync(CancellationToken stoppingToken)
    {
        var client = await connection.GetClientAsync(stoppingToken).ConfigureAwait(false);

        // Before the first poll: runs may get their trace id as a search attribute only once it is known to exist.
        await monitoring.CheckTraceIdSearchAttributeAsync(client, stoppingToken).ConfigureAwait(false);
        var worker = (TemporalWorkerOptions)workerOptions.Get(OptionsName).Clone();
        worker.TaskQueue = settings.TaskQueue;
        worker.GracefulShutdownTimeout = options.Value.GracefulShutdownTimeout;
        worker.LoggerFactory = loggerFactory;
        using var temporalWorker = new TemporalWorker(client, worker);
        Log.WorkerPolling(logger, settings.TaskQueue);
        health.Polling();
        if (!hintShown)
        {
            hintShown = true;
            Log.StartCommandHint(logger, StartCommand.For(settings.TaskQueue, connection.Address, settings.Namespace));
        }

        // The dispatcher is kept while the worker polls; its own faults never stop the worker.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watch = WatchConnectionAsync(client, stop.Token);
        var keeper = dispatcher.Enabled ? dispatcher.RunAsync(client, stop.Token) : Task.CompletedTask;
        var backlogWatch = backlog.RunAsync(client, settings.TaskQueue, stop.Token);
        try
        {
            await temporalWorker.ExecuteAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            health.NotPolling();
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watch, keeper, backlogWatch).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// While the worker polls, checks the server's health: the pollers retry on their own, so this
    /// is what tells the operator, once per check, that the server is gone and when it is back. In
    /// local mode it also restarts a dev server that went away.
    /// </summary>
    private async Task WatchConnectionAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var failures = 0;
        var lostAt = DateTimeOffset.MinValue;
        var address = connection.Address ?? "(unknown)";
        while (!cancellationToken.IsCancellationRequested)
        {
            var delay = failures == 0
                ? options.Value.HealthCheckInterval
                : Backoff.Delay(options.Value.ConnectRetry, failures);
            await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var healthy = await client.Connection
                    .CheckHealthAsync(options: new RpcOptions { CancellationToken = timeout.Token })
                    .ConfigureAwait(false);
                if (!healthy)
                {
                    throw new InvalidOperationException("the server reports it is not serving");
                }

                if (failures > 0)
                {
                    Log.ConnectionRestored(logger, address, (timeProvider.GetUtcNow() - lostAt).TotalMilliseconds);
                    health.Restored();
                }

                failures = 0;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    lostAt = timeProvider.GetUtcNow();
                }

                Log.ConnectionLost(
                    logger,
                    address,
                    failures,
                    WorkerConnection.Describe(e),
                    Backoff.Delay(options.Value.ConnectRetry, failures).TotalSeconds);
                health.Lost(WorkerConnection.Describe(e));
                if (settings.IsLocal)
                {
                    await RestartLocalServerAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task RestartLocalServerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await localServer.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Log.DevServerRestartFailed(logger, WorkerConnection.Describe(e));
        }
    }
}
