using Microsoft.Extensions.Options;
using Temporalio.Client;
using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;
using Watchtower.Worker.Settings;
using Watchtower.Workflows.Dispatcher;

namespace Watchtower.Worker.Dispatcher;

/// <summary>
/// When heartbeats are overdue, asks the dispatcher whom it heartbeats to. Another worker: a release
/// that never arrived (this process could not poll for a while) must not leave it registered here for
/// good. Nobody (a reset or a restarted run): attach again.
/// </summary>
internal sealed class OverdueHeartbeatCheck(
    IOptions<PipelineWorkerOptions> options,
    IDispatcherHeartbeatMonitor monitor,
    DispatcherAttachmentState state,
    TimeProvider timeProvider)
{
    /// <summary>Checks every heartbeat interval until the attachment is lost.</summary>
    /// <param name="client">The worker's client.</param>
    /// <param name="heartbeatTaskQueue">The task queue only this process polls.</param>
    /// <param name="cancellationToken">Stops checking.</param>
    /// <returns>True to attach again; false once released.</returns>
    public async Task<bool> RunAsync(
        ITemporalClient client,
        string heartbeatTaskQueue,
        CancellationToken cancellationToken)
    {
        var dispatcher = options.Value.Dispatcher;
        while (true)
        {
            await Task.Delay(dispatcher.HeartbeatInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            if (monitor.Find(dispatcher.Id) is not { } health
                || health.SinceLastHeartbeat <= 2 * dispatcher.HeartbeatInterval)
            {
                continue;
            }

            try
            {
                var status = await client.GetWorkflowHandle<DocumentDispatcherWorkflow>(dispatcher.Id)
                    .QueryAsync(
                        wf => wf.Status,
                        new WorkflowQueryOptions { Rpc = new RpcOptions { CancellationToken = cancellationToken } })
                    .ConfigureAwait(false);
                if (status.Attachment is null)
                {
                    return true;
                }

                if (status.Attachment.HeartbeatTaskQueue != heartbeatTaskQueue)
                {
                    state.Released(dispatcher.Id, state.Held);
                    return false;
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // No answer (no worker, no server): staleness is what the operator should see.
            }
        }
    }
}
