using Microsoft.Extensions.Options;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Dispatcher;

/// <summary>
/// Waits for the dispatcher to end for good, following it across continue-as-new and resets, and
/// riding out server outages.
/// </summary>
internal sealed class DispatcherEndWatcher(IOptions<PipelineWorkerOptions> options, TimeProvider timeProvider)
{
    /// <summary>
    /// Returns how the dispatcher ended: completed, canceled, terminated, timed out, deleted or failed.
    /// </summary>
    /// <param name="client">The worker's client.</param>
    /// <param name="dispatcherId">The dispatcher.</param>
    /// <param name="cancellationToken">Stops watching.</param>
    /// <returns>How it ended, for people.</returns>
    public async Task<string> WaitForEndAsync(
        ITemporalClient client,
        string dispatcherId,
        CancellationToken cancellationToken)
    {
        for (var failures = 0; ;)
        {
            Exception? ended = null;
            try
            {
                await client.GetWorkflowHandle(dispatcherId)
                    .GetResultAsync(followRuns: true, new RpcOptions { CancellationToken = cancellationToken })
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is WorkflowFailedException
                or RpcException { Code: RpcException.StatusCode.NotFound })
            {
                ended = e;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The server is away; the connection watch reports that. Watching resumes when it is back.
                await DelayAsync(++failures, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // A reset ends the run with "terminated" while a new run goes on under the same id.
            var running = await StillRunningAsync(client, dispatcherId, cancellationToken).ConfigureAwait(false);
            if (running is false)
            {
                return HowItEnded(ended);
            }

            if (running is null)
            {
                await DelayAsync(++failures, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                failures = 0;
            }
        }
    }

    private static string HowItEnded(Exception? e) => e switch
    {
        null => "completed",
        RpcException { Code: RpcException.StatusCode.NotFound } => "deleted",
        WorkflowFailedException { InnerException: CanceledFailureException } => "canceled",
        WorkflowFailedException { InnerException: TerminatedFailureException } => "terminated",
        WorkflowFailedException { InnerException: TimeoutFailureException } => "timed out",
        _ => "failed: " + e.InnerException?.Message,
    };

    /// <summary>Whether a run is going on under the id; null when the server cannot say now.</summary>
    private static async Task<bool?> StillRunningAsync(
        ITemporalClient client,
        string dispatcherId,
        CancellationToken cancellationToken)
    {
        try
        {
            var description = await client.GetWorkflowHandle(dispatcherId)
                .DescribeAsync(new WorkflowDescribeOptions
                {
                    Rpc = new RpcOptions { CancellationToken = cancellationToken },
                })
                .ConfigureAwait(false);
            return description.Status == WorkflowExecutionStatus.Running;
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return false;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private Task DelayAsync(int failures, CancellationToken cancellationToken) =>
        Task.Delay(Backoff.Delay(options.Value.ConnectRetry, failures), timeProvider, cancellationToken);
}
