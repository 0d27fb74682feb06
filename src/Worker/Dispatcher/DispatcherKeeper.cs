using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Dispatcher;

/// <summary>
/// Keeps this worker's <c>DocumentDispatcher</c> running and hears its heartbeats while the worker
/// polls: polls the heartbeat queue, attaches to the dispatcher (retrying until it can), and keeps it
/// registered until it ends, is taken over, or the worker stops. Nothing here ever stops the worker.
/// </summary>
internal sealed class DispatcherKeeper(
    IOptions<PipelineWorkerOptions> options,
    HeartbeatQueueWorker heartbeatQueue,
    DispatcherAttacher attacher,
    DispatcherEndWatcher endWatcher,
    OverdueHeartbeatCheck overdueCheck,
    DispatcherAttachmentState state,
    ILogger<DispatcherKeeper> logger)
{
    public bool Enabled => options.Value.Dispatcher.Enabled;

    /// <summary>Gets the task queue only this process polls for the dispatcher's heartbeats.</summary>
    public string HeartbeatTaskQueue => heartbeatQueue.TaskQueue;

    /// <summary>Gets where the attachment stands, with a detail for people.</summary>
    public (DispatcherAttachmentStatus Status, string? Detail) State => state.Current;

    /// <summary>Runs while the worker polls.</summary>
    /// <param name="client">The worker's connected client.</param>
    /// <param name="cancellationToken">Stops when the worker stops polling.</param>
    /// <returns>A task that never faults.</returns>
    public async Task RunAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var dispatcherId = options.Value.Dispatcher.Id;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var polling = heartbeatQueue.RunAsync(run.Token);
        try
        {
            await KeepAsync(client, run.Token).ConfigureAwait(false);
        }
        catch (Exception) when (run.IsCancellationRequested)
        {
            // The worker stops polling.
        }
        catch (Exception e)
        {
            state.Set(DispatcherAttachmentStatus.Ended, "keeping it failed: " + WorkerConnection.Describe(e));
            Log.DispatcherKeeperFailed(logger, dispatcherId, WorkerConnection.Describe(e));
        }
        finally
        {
            state.Forget();
            if (cancellationToken.IsCancellationRequested)
            {
                state.Set(DispatcherAttachmentStatus.Attaching, "the worker is not polling");
            }

            await run.CancelAsync().ConfigureAwait(false);
            await polling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task KeepAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var dispatcher = options.Value.Dispatcher;
        while (true)
        {
            var number = await attacher.AttachAsync(client, HeartbeatTaskQueue, cancellationToken)
                .ConfigureAwait(false);
            using var keep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            state.Hold(number, keep);
            Log.DispatcherAttached(
                logger,
                dispatcher.Id,
                dispatcher.HeartbeatInterval.TotalSeconds,
                HeartbeatTaskQueue);

            using var watching = CancellationTokenSource.CreateLinkedTokenSource(keep.Token);
            var ended = endWatcher.WaitForEndAsync(client, dispatcher.Id, watching.Token);
            var overdue = overdueCheck.RunAsync(client, HeartbeatTaskQueue, watching.Token);
            var attachAgain = false;
            try
            {
                var first = await Task.WhenAny(ended, overdue).ConfigureAwait(false);
                if (first == ended)
                {
                    var how = await ended.ConfigureAwait(false);
                    state.Forget();
                    state.Set(DispatcherAttachmentStatus.Ended, how);
                    Log.DispatcherEnded(logger, dispatcher.Id, how);
                }
                else
                {
                    attachAgain = await overdue.ConfigureAwait(false);
                }
            }
            catch (Exception) when (keep.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Released by the dispatcher: the attachment state said so and unregistered it.
            }
            finally
            {
                state.StopKeeping(keep);
                await watching.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(ended, overdue).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (!attachAgain)
            {
                return;
            }
        }
    }
}
