using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;
using Watchtower.Workflows.Dispatcher;

namespace Watchtower.Worker.Dispatcher;

/// <summary>
/// Starts this worker's dispatcher, or attaches to the one already running under the same id, with
/// one update-with-start, and retries until that works.
/// </summary>
internal sealed class DispatcherAttacher(
    IOptions<PipelineWorkerOptions> options,
    ConnectionSettings settings,
    DispatcherAttachmentState state,
    ILogger<DispatcherAttacher> logger,
    TimeProvider timeProvider)
{
    /// <summary>Attaches, making the dispatcher heartbeat to <paramref name="heartbeatTaskQueue"/>.</summary>
    /// <param name="client">The worker's client.</param>
    /// <param name="heartbeatTaskQueue">The task queue only this process polls.</param>
    /// <param name="cancellationToken">Stops retrying.</param>
    /// <returns>The attachment's number.</returns>
    public async Task<int> AttachAsync(
        ITemporalClient client,
        string heartbeatTaskQueue,
        CancellationToken cancellationToken)
    {
        var dispatcher = options.Value.Dispatcher;
        var attachment = new DispatcherAttachment(heartbeatTaskQueue, (int)dispatcher.HeartbeatInterval.TotalSeconds);
        state.Set(DispatcherAttachmentStatus.Attaching, null);
        for (var attempt = 1; ; attempt++)
        {
            // A start operation can be used once only: each attempt builds its own.
            var start = WithStartWorkflowOperation.Create(
                (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput()),
                new WorkflowOptions(dispatcher.Id, settings.TaskQueue)
                {
                    IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting,
                    StaticSummary = "Document dispatcher, started by its worker",
                });
            try
            {
                return await client.ExecuteUpdateWithStartWorkflowAsync(
                    (DocumentDispatcherWorkflow wf) => wf.AttachAsync(attachment),
                    new WorkflowUpdateWithStartOptions(start)
                    {
                        Rpc = new RpcOptions { CancellationToken = cancellationToken },
                    })
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // A rejection too is retried: during a rolling deployment a worker of the previous
                // version, which has no 'attach' handler, may take the update.
                var delay = Backoff.Delay(options.Value.ConnectRetry, attempt);
                var cause = e is WorkflowUpdateFailedException { InnerException: { } rejected }
                    ? "refused: " + rejected.Message
                    : WorkerConnection.Describe(e);
                state.Set(DispatcherAttachmentStatus.Attaching, cause);
                Log.DispatcherAttachFailed(logger, dispatcher.Id, attempt, cause, delay.TotalSeconds);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
