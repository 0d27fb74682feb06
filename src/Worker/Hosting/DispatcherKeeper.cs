using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;
using Watchtower.Monitoring.Dispatchers;
using Watchtower.Workflows.Documents;

namespace Watchtower.Worker.Hosting;

/// <summary>
/// Keeps this worker's <c>DocumentDispatcher</c> running and hears its heartbeats. Each time the
/// worker starts polling it starts the dispatcher, or attaches to the one already running under the
/// same id, giving it a task queue that only this process polls; the heartbeats that arrive there
/// feed the dispatcher-heartbeat monitor. The dispatcher is registered with the monitor while it
/// runs and unregistered when it ends or another worker attaches to it.
/// </summary>
internal sealed class DispatcherKeeper(
    IOptions<PipelineWorkerOptions> options,
    ConnectionSettings settings,
    IDispatcherHeartbeatMonitor monitor,
    ILogger<DispatcherKeeper> logger,
    TimeProvider timeProvider) : IDispatcherHeartbeats
{
    private CancellationTokenSource? released;

    public bool Enabled => options.Value.Dispatcher.Enabled;

    /// <summary>
    /// Gets the task queue only this process polls: a new one per process, so a heartbeat that
    /// arrives proves this very process took it, not a sibling or a predecessor.
    /// </summary>
    public string HeartbeatTaskQueue { get; } = string.Create(
        CultureInfo.InvariantCulture, $"{settings.TaskQueue[..Math.Min(settings.TaskQueue.Length, 900)]}-heartbeat-{HostLabel()}-{Guid.NewGuid().ToString("N")[..12]}");

    private PipelineWorkerOptions.DispatcherSettings Settings => options.Value.Dispatcher;

    /// <summary>Creates the worker that polls <see cref="HeartbeatTaskQueue"/> for the heartbeat activities.</summary>
    /// <param name="client">The connected client.</param>
    /// <param name="loggerFactory">Logger factory.</param>
    /// <param name="heartbeats">Where the heartbeats go: this keeper, unless the host puts something in between.</param>
    /// <returns>The worker, not started.</returns>
    public TemporalWorker CreateHeartbeatWorker(ITemporalClient client, ILoggerFactory loggerFactory, IDispatcherHeartbeats heartbeats) =>
        new(client, new TemporalWorkerOptions(HeartbeatTaskQueue)
        {
            LoggerFactory = loggerFactory,
            MaxConcurrentActivities = 4,
            MaxConcurrentWorkflowTasks = 2,
        }.AddAllActivities(new DispatcherHeartbeatActivities(heartbeats)));

    /// <summary>
    /// Starts or attaches to the dispatcher, retrying while the server cannot be reached, then
    /// watches it until it ends, another worker takes it, or the worker stops.
    /// </summary>
    /// <param name="client">The connected client.</param>
    /// <param name="cancellationToken">Stops when the worker stops.</param>
    /// <returns>A task that never faults.</returns>
    public async Task RunAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var dispatcher = Settings;
        using var releasedNow = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, releasedNow.Token);
        Interlocked.Exchange(ref released, releasedNow);
        try
        {
            // Registered first, so the first heartbeat already counts; staleness runs from here.
            monitor.Register(dispatcher.Id, dispatcher.StaleAfter);
            if (!await AttachAsync(client, dispatcher, stop.Token).ConfigureAwait(false))
            {
                return;
            }

            await WatchAsync(client, dispatcher.Id, stop.Token).ConfigureAwait(false);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // The worker stops, or another worker took the dispatcher over.
        }
        finally
        {
            Interlocked.CompareExchange(ref released, null, releasedNow);
        }
    }

    public void Beat(string dispatcherId) => monitor.RecordHeartbeat(dispatcherId);

    public void Released(string dispatcherId)
    {
        if (monitor.Unregister(dispatcherId))
        {
            Log.DispatcherReleased(logger, dispatcherId);
        }

        if (dispatcherId == Settings.Id)
        {
            Volatile.Read(ref released)?.Cancel();
        }
    }

    private static string HostLabel()
    {
        var host = new string([.. Environment.MachineName.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '-')]);
        return host.Length == 0 ? "host" : host[..Math.Min(host.Length, 30)];
    }

    private static string HowItEnded(WorkflowFailedException e) => e.InnerException switch
    {
        CanceledFailureException => "canceled",
        TerminatedFailureException => "terminated",
        TimeoutFailureException => "timed out",
        _ => "failed: " + e.InnerException?.Message,
    };

    private async Task<bool> AttachAsync(ITemporalClient client, PipelineWorkerOptions.DispatcherSettings dispatcher, CancellationToken cancellationToken)
    {
        var attachment = new DispatcherAttachment(HeartbeatTaskQueue, (int)dispatcher.HeartbeatInterval.TotalSeconds);
        var start = WithStartWorkflowOperation.Create(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput()),
            new WorkflowOptions(dispatcher.Id, settings.TaskQueue)
            {
                IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting,
                StaticSummary = "Document dispatcher, started by its worker",
            });
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.ExecuteUpdateWithStartWorkflowAsync(
                    (DocumentDispatcherWorkflow wf) => wf.AttachAsync(attachment),
                    new WorkflowUpdateWithStartOptions(start) { Rpc = new RpcOptions { CancellationToken = cancellationToken } }).ConfigureAwait(false);
                Log.DispatcherAttached(logger, dispatcher.Id, dispatcher.HeartbeatInterval.TotalSeconds, HeartbeatTaskQueue);
                return true;
            }
            catch (WorkflowUpdateFailedException e)
            {
                monitor.Unregister(dispatcher.Id);
                Log.DispatcherAttachRejected(logger, dispatcher.Id, e.InnerException?.Message ?? e.Message);
                return false;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var delay = Backoff.Delay(options.Value.ConnectRetry, attempt);
                Log.DispatcherAttachFailed(logger, dispatcher.Id, attempt, TemporalConnection.Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits for the dispatcher to end, across continue-as-new and across server outages.</summary>
    private async Task WatchAsync(ITemporalClient client, string dispatcherId, CancellationToken cancellationToken)
    {
        var handle = client.GetWorkflowHandle(dispatcherId);
        for (var failures = 0; ;)
        {
            try
            {
                await handle.GetResultAsync(followRuns: true, new RpcOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
                Log.DispatcherEnded(logger, dispatcherId, "completed");
                break;
            }
            catch (WorkflowFailedException e)
            {
                Log.DispatcherEnded(logger, dispatcherId, HowItEnded(e));
                break;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The server is away; the connection watch reports that. Watching resumes when it is back.
                await Task.Delay(Backoff.Delay(options.Value.ConnectRetry, ++failures), timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }

        monitor.Unregister(dispatcherId);
    }
}
