using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Runtime;
using Temporalio.Worker;
using Watchtower.Monitoring.Dispatchers;
using Watchtower.Workflows.Documents;

namespace Watchtower.Worker.Hosting;

/// <summary>
/// Keeps this worker's <c>DocumentDispatcher</c> running and hears its heartbeats. While the worker
/// polls, it starts the dispatcher (or attaches to the one already running under the same id) and
/// gives it a task queue that only this process polls; the heartbeats that arrive there feed the
/// dispatcher-heartbeat monitor. The dispatcher is registered with the monitor from its attachment
/// until it ends or another worker attaches to it. Nothing here ever stops the worker.
/// </summary>
internal sealed class DispatcherKeeper(
    IOptions<PipelineWorkerOptions> options,
    ConnectionSettings settings,
    TemporalConnection connection,
    IDispatcherHeartbeatMonitor monitor,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider) : IDispatcherHeartbeats
{
    private const int MaxTaskQueueLength = 200;

    private readonly ILogger logger = loggerFactory.CreateLogger<DispatcherKeeper>();
    private readonly Lock gate = new();

    // Heartbeats run on a connection and runtime of their own, without interceptors or metrics: their
    // per-process task queue must not become a label value of the worker's own series.
    private TemporalRuntime? heartbeatRuntime;
    private ITemporalClient? heartbeatClient;

    // The attachment this process holds (0: none) and what to cancel when it is released.
    private int attached;
    private CancellationTokenSource? keeping;
    private (DispatcherKeeping State, string? Detail) state = (DispatcherKeeping.Attaching, null);

    public bool Enabled => options.Value.Dispatcher.Enabled;

    /// <summary>
    /// Gets the task queue only this process polls: a new one per process, so a heartbeat that
    /// arrives proves this very process took it, not a sibling or a predecessor.
    /// </summary>
    public string HeartbeatTaskQueue { get; } = HeartbeatQueueFor(settings.TaskQueue);

    /// <summary>Gets where keeping the dispatcher stands, with a detail for people.</summary>
    public (DispatcherKeeping State, string? Detail) State
    {
        get
        {
            lock (gate)
            {
                return Enabled ? state : (DispatcherKeeping.Disabled, null);
            }
        }
    }

    private PipelineWorkerOptions.DispatcherSettings Settings => options.Value.Dispatcher;

    /// <summary>
    /// While the worker polls: polls the heartbeat queue, attaches to the dispatcher (retrying until
    /// it can), and keeps it registered until it ends, is taken over, or the worker stops.
    /// </summary>
    /// <param name="client">The worker's connected client.</param>
    /// <param name="heartbeats">Where heartbeats go: this keeper, unless the host puts something in between.</param>
    /// <param name="cancellationToken">Stops when the worker stops polling.</param>
    /// <returns>A task that never faults.</returns>
    public async Task RunAsync(ITemporalClient client, IDispatcherHeartbeats heartbeats, CancellationToken cancellationToken)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var polling = PollHeartbeatsAsync(heartbeats, run.Token);
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
            SetState(DispatcherKeeping.Ended, "keeping it failed: " + TemporalConnection.Describe(e));
            Log.DispatcherKeeperFailed(logger, Settings.Id, TemporalConnection.Describe(e));
        }
        finally
        {
            Forget();
            if (cancellationToken.IsCancellationRequested)
            {
                SetState(DispatcherKeeping.Attaching, "the worker is not polling");
            }

            await run.CancelAsync().ConfigureAwait(false);
            await polling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Beat(string dispatcherId) => monitor.RecordHeartbeat(dispatcherId);

    public void Released(string dispatcherId, int attachment)
    {
        CancellationTokenSource? stop;
        lock (gate)
        {
            // A release of an earlier attachment is late: this process has attached again since.
            if (dispatcherId != Settings.Id || attached == 0 || attachment < attached)
            {
                return;
            }

            attached = 0;
            stop = keeping;
            keeping = null;
            state = (DispatcherKeeping.Released, null);
        }

        monitor.Unregister(dispatcherId);
        Log.DispatcherReleased(logger, dispatcherId);
        try
        {
            stop?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The keeping ended at the same moment.
        }
    }

    internal static string HeartbeatQueueFor(string taskQueue)
    {
        var host = new string([.. Environment.MachineName.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '-')]);
        var suffix = string.Create(
            CultureInfo.InvariantCulture, $"-heartbeat-{(host.Length == 0 ? "host" : host[..Math.Min(host.Length, 30)])}-{Guid.NewGuid().ToString("N")[..12]}");
        return taskQueue[..Math.Min(taskQueue.Length, MaxTaskQueueLength - suffix.Length)] + suffix;
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

    private async Task KeepAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var dispatcher = Settings;
        while (true)
        {
            var number = await AttachAsync(client, dispatcher, cancellationToken).ConfigureAwait(false);

            // Registered before the attachment counts as held, so a release can only ever find it registered.
            monitor.Register(dispatcher.Id, dispatcher.StaleAfter);
            using var keep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            lock (gate)
            {
                attached = number;
                keeping = keep;
                state = (DispatcherKeeping.Attached, null);
            }

            Log.DispatcherAttached(logger, dispatcher.Id, dispatcher.HeartbeatInterval.TotalSeconds, HeartbeatTaskQueue);
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(keep.Token);
            var watch = WatchAsync(client, dispatcher.Id, watching.Token);
            var verify = VerifyAsync(client, dispatcher, watching.Token);
            var attachAgain = false;
            try
            {
                var first = await Task.WhenAny(watch, verify).ConfigureAwait(false);
                attachAgain = first == verify && await verify.ConfigureAwait(false);
                await first.ConfigureAwait(false);
            }
            catch (Exception) when (keep.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Released by the dispatcher: Released() said so and unregistered it.
            }
            finally
            {
                lock (gate)
                {
                    if (keeping == keep)
                    {
                        keeping = null;
                    }
                }

                await watching.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(watch, verify).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (!attachAgain)
            {
                return;
            }
        }
    }

    /// <summary>Starts or attaches to the dispatcher, retrying until it works; returns the attachment's number.</summary>
    private async Task<int> AttachAsync(ITemporalClient client, PipelineWorkerOptions.DispatcherSettings dispatcher, CancellationToken cancellationToken)
    {
        var attachment = new DispatcherAttachment(HeartbeatTaskQueue, (int)dispatcher.HeartbeatInterval.TotalSeconds);
        SetState(DispatcherKeeping.Attaching, null);
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
                    new WorkflowUpdateWithStartOptions(start) { Rpc = new RpcOptions { CancellationToken = cancellationToken } }).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // A rejection too is retried: during a rolling deployment a worker of the previous
                // version, which has no 'attach' handler, may take the update.
                var delay = Backoff.Delay(options.Value.ConnectRetry, attempt);
                var cause = e is WorkflowUpdateFailedException { InnerException: { } rejected } ? "refused: " + rejected.Message : TemporalConnection.Describe(e);
                SetState(DispatcherKeeping.Attaching, cause);
                Log.DispatcherAttachFailed(logger, dispatcher.Id, attempt, cause, delay.TotalSeconds);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Returns when the dispatcher ends, following it across continue-as-new and server outages.</summary>
    private async Task WatchAsync(ITemporalClient client, string dispatcherId, CancellationToken cancellationToken)
    {
        for (var failures = 0; ;)
        {
            Exception? ended = null;
            try
            {
                await client.GetWorkflowHandle(dispatcherId).GetResultAsync(followRuns: true, new RpcOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WorkflowFailedException or RpcException { Code: RpcException.StatusCode.NotFound })
            {
                ended = e;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The server is away; the connection watch reports that. Watching resumes when it is back.
                await Task.Delay(Backoff.Delay(options.Value.ConnectRetry, ++failures), timeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // A reset ends the run with "terminated" while a new run goes on under the same id.
            var running = await StillRunningAsync(client, dispatcherId, cancellationToken).ConfigureAwait(false);
            if (running is not false)
            {
                if (running is null)
                {
                    await Task.Delay(Backoff.Delay(options.Value.ConnectRetry, ++failures), timeProvider, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    failures = 0;
                }

                continue;
            }

            Forget();
            SetState(DispatcherKeeping.Ended, HowItEnded(ended));
            Log.DispatcherEnded(logger, dispatcherId, HowItEnded(ended));
            return;
        }
    }

    /// <summary>
    /// When heartbeats are overdue, asks the dispatcher whom it heartbeats to. Another worker: a
    /// release that never arrived (this process could not poll for a while) must not leave it
    /// registered here for good. Nobody (a reset or a restarted run): attach again.
    /// </summary>
    /// <returns>True to attach again; false once released.</returns>
    private async Task<bool> VerifyAsync(ITemporalClient client, PipelineWorkerOptions.DispatcherSettings dispatcher, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(dispatcher.HeartbeatInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            if (monitor.Find(dispatcher.Id) is not { } health || health.SinceLastHeartbeat <= 2 * dispatcher.HeartbeatInterval)
            {
                continue;
            }

            try
            {
                var status = await client.GetWorkflowHandle<DocumentDispatcherWorkflow>(dispatcher.Id)
                    .QueryAsync(wf => wf.Status, new WorkflowQueryOptions { Rpc = new RpcOptions { CancellationToken = cancellationToken } }).ConfigureAwait(false);
                if (status.Attachment is null)
                {
                    return true;
                }

                if (status.Attachment.HeartbeatTaskQueue != HeartbeatTaskQueue)
                {
                    Released(dispatcher.Id, Volatile.Read(ref attached));
                    return false;
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // No answer (no worker, no server): staleness is what the operator should see.
            }
        }
    }

    /// <summary>Whether a run is going on under the id; null when the server cannot say now.</summary>
    private static async Task<bool?> StillRunningAsync(ITemporalClient client, string dispatcherId, CancellationToken cancellationToken)
    {
        try
        {
            var description = await client.GetWorkflowHandle(dispatcherId).DescribeAsync(new WorkflowDescribeOptions { Rpc = new RpcOptions { CancellationToken = cancellationToken } }).ConfigureAwait(false);
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

    /// <summary>Polls the heartbeat queue until the worker stops, starting over after a fault.</summary>
    private async Task PollHeartbeatsAsync(IDispatcherHeartbeats heartbeats, CancellationToken cancellationToken)
    {
        for (var failures = 0; !cancellationToken.IsCancellationRequested;)
        {
            try
            {
                heartbeatRuntime ??= CoreLogForwarder.CreateRuntime(loggerFactory);
                heartbeatClient ??= await connection.ConnectSeparateAsync(heartbeatRuntime, cancellationToken).ConfigureAwait(false);
                using var worker = new TemporalWorker(heartbeatClient, new TemporalWorkerOptions(HeartbeatTaskQueue)
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
                Log.HeartbeatWorkerFaulted(logger, HeartbeatTaskQueue, TemporalConnection.Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void SetState(DispatcherKeeping next, string? detail)
    {
        lock (gate)
        {
            state = (next, detail);
        }
    }

    /// <summary>Stops expecting the dispatcher's heartbeats.</summary>
    private void Forget()
    {
        bool held;
        lock (gate)
        {
            held = attached != 0;
            attached = 0;
            keeping = null;
        }

        if (held)
        {
            monitor.Unregister(Settings.Id);
        }
    }
}

/// <summary>Where keeping this worker's dispatcher stands.</summary>
internal enum DispatcherKeeping
{
    /// <summary>The worker runs no dispatcher.</summary>
    Disabled,

    /// <summary>Starting or attaching to it, or waiting for the worker to poll first.</summary>
    Attaching,

    /// <summary>Attached: its heartbeats come to this process.</summary>
    Attached,

    /// <summary>Another worker attached to it since.</summary>
    Released,

    /// <summary>It ended (or keeping it failed); the worker starts it again when it restarts.</summary>
    Ended,
}
