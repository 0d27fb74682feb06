using System.Globalization;
using System.Text.RegularExpressions;
using Temporalio.Exceptions;
using Temporalio.Workflows;
using Watchtower.Workflows.Pipeline;
using WorkflowIdReusePolicy = Temporalio.Api.Enums.V1.WorkflowIdReusePolicy;

namespace Watchtower.Workflows.Dispatcher;

/// <summary>
/// A long-running dispatcher: receives pipeline requests by the <c>submit</c> signal, starts a
/// <see cref="DocumentPipelineWorkflow"/> child for each, and continues as new before its history
/// grows large, carrying its counters and the requests it has not dispatched yet (a bounded backlog)
/// over. Once a worker attaches (the <c>attach</c> update), it heartbeats to that worker's own task
/// queue every interval, so the worker can tell that its dispatcher is alive end to end.
/// </summary>
[Workflow("DocumentDispatcher")]
public sealed partial class DocumentDispatcherWorkflow
{
    /// <summary>Default history size that triggers continue-as-new.</summary>
    public const int DefaultMaxHistoryEvents = 2000;

    /// <summary>
    /// Largest <c>maxHistoryEvents</c>: the server warns at 10,240 events and terminates a run at
    /// 51,200, and the dispatcher may go on dispatching past its bound until its backlog can be carried.
    /// </summary>
    public const int MaxHistoryEventsLimit = 10_000;

    /// <summary>
    /// History size that triggers continue-as-new whatever the event count: large requests fill bytes first.
    /// </summary>
    public const long HistoryBytesBound = 8 * 1024 * 1024;

    /// <summary>Most requests continue-as-new carries over to the next run.</summary>
    public const int MaxBacklogCount = 1000;

    /// <summary>
    /// Most bytes of requests continue-as-new carries over (as JSON), within <see cref="PayloadBudget.MaxBytes"/>.
    /// A single valid request always fits: its documents take at most
    /// <see cref="DocumentPipelineInputValidator.MaxDocumentsBytes"/>.
    /// </summary>
    public const int MaxBacklogBytes = 1280 * 1024;

    /// <summary>Longest reason kept for the last rejected request.</summary>
    private const int MaxRejectionLength = 500;

    /// <summary>Marks runs that carry their backlog over; runs recorded before drained it first.</summary>
    private const string CarryBacklogPatch = "carry-backlog";

    /// <summary>How long the worker that was attached before may take to hear it was released.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(30);

    private readonly Queue<(DispatchRequest Request, long Bytes)> pending = new();
    private readonly Queue<DispatcherAttachment> releases = new();
    private readonly int maxHistoryEvents;
    private readonly string? inputError;
    private DispatcherTotals totals;
    private DispatcherAttachment? attachment;
    private DispatchRequest? dispatching;
    private long pendingBytes;
    private bool carryBacklog;
    private int activitiesInFlight;
    private int heartbeatsMissed;
    private bool draining;

    /// <summary>
    /// Initializes a new instance of the <see cref="DocumentDispatcherWorkflow"/> class. State is restored
    /// here rather than in <see cref="RunAsync"/> because signals buffered across continue-as-new are
    /// delivered before the run method starts, and must find the carried-over counters and queue behind
    /// the backlog. Backlog requests were validated when they arrived; they are checked again all the same.
    /// </summary>
    /// <param name="input">Settings, and state carried over from the previous run.</param>
    [WorkflowInit]
    public DocumentDispatcherWorkflow(DispatcherInput? input = null)
    {
        maxHistoryEvents = input?.MaxHistoryEvents ?? DefaultMaxHistoryEvents;
        inputError = input?.DecodeError
            ?? (maxHistoryEvents is < 20 or > MaxHistoryEventsLimit
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"'maxHistoryEvents' must be between 20 and {MaxHistoryEventsLimit} (got {maxHistoryEvents})")
                : null)
            ?? (input?.Backlog is { Count: > MaxBacklogCount } backlog
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"'backlog' holds {backlog.Count} requests; at most {MaxBacklogCount}")
                : null);
        var carried = input?.Totals ?? new DispatcherTotals(0, 0, 0, 0);
        totals = carried with { Generation = carried.Generation + 1 };
        attachment = ValidateAttachment(input?.Attachment) is null ? input?.Attachment : null;
        if (inputError is null)
        {
            foreach (var request in input?.Backlog ?? [])
            {
                Enqueue(request);
            }
        }
    }

    /// <summary>Gets the dispatcher's counters, queue length and heartbeat state.</summary>
    [WorkflowQuery("status")]
    public DispatcherStatus Status =>
        new(totals, pending.Count, Workflow.CurrentHistoryLength, attachment, heartbeatsMissed);

    /// <summary>
    /// Runs until cancelled, continuing as new once history reaches the bound (events or bytes, or the
    /// server suggests it) and what is still pending fits the backlog: a burst larger than one run can
    /// hold is carried over, not dropped and not drained past the server's limits. A cancelled dispatcher
    /// logs every request it had not dispatched, by request id, at Warning.
    /// </summary>
    /// <param name="input">Settings, and state carried over from the previous run (already applied by the
    /// constructor).</param>
    /// <returns>Never completes normally; ends by continue-as-new or cancellation.</returns>
    [WorkflowRun]
    public async Task RunAsync(DispatcherInput? input = null)
    {
        if (inputError is not null)
        {
            throw new ApplicationFailureException(
                "Invalid DocumentDispatcher input: " + inputError,
                DocumentPipelineWorkflow.InvalidInputErrorType,
                nonRetryable: true);
        }

        // Decided once, first: runs recorded before this build drained their queue before continuing as new.
        carryBacklog = Workflow.Patched(CarryBacklogPatch);

        // Heartbeats run beside dispatching: a worker that is gone must not hold up requests.
        var heartbeats = HeartbeatAsync();
        try
        {
            while (true)
            {
                UpdateDetails();
                await Workflow.WaitConditionAsync(
                    () => pending.Count > 0 || ShouldContinueAsNew() || heartbeats.IsCompleted);
                if (heartbeats.IsCompleted)
                {
                    // It only ends by a fault: surface it rather than stop heartbeating unnoticed.
                    await heartbeats;
                }

                if (ShouldContinueAsNew() && await ContinueAsNewIfBacklogFitsAsync())
                {
                    continue;
                }

                if (pending.Count > 0)
                {
                    await DispatchAsync(Dequeue());
                }
            }
        }
        catch (Exception e)
            when (Workflow.CancellationToken.IsCancellationRequested && TemporalException.IsCanceledException(e))
        {
            ReportUndispatched();
            throw;
        }
    }

    /// <summary>Queues a pipeline request. Invalid requests are counted and logged, never fatal.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A completed task.</returns>
    [WorkflowSignal("submit")]
    public Task SubmitAsync(DispatchRequest request)
    {
        if (ValidateRequest(request) is { } error)
        {
            // The reasons name fields and rules, never values; bounded all the same, as state carried on.
            var kept = error.Length <= MaxRejectionLength ? error : error[..MaxRejectionLength] + "...";
            totals = totals with { Rejected = totals.Rejected + 1, LastRejection = kept };
            Log.DispatchRejected(Workflow.Logger, kept);
            UpdateDetails();
            return Task.CompletedTask;
        }

        Enqueue(request);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Makes the dispatcher heartbeat to the calling worker from now on. The worker attached before,
    /// if another, is told it was released.
    /// </summary>
    /// <param name="next">The worker's heartbeat task queue and interval.</param>
    /// <returns>The attachment's number: it grows with every attachment, across continue-as-new, so a
    /// worker can tell a release of an earlier attachment from one of its current attachment.</returns>
    [WorkflowUpdate("attach")]
    public Task<int> AttachAsync(DispatcherAttachment next)
    {
        if (attachment is { } previous && previous.HeartbeatTaskQueue != next.HeartbeatTaskQueue)
        {
            releases.Enqueue(previous);
        }

        attachment = next with { Number = (attachment?.Number ?? 0) + 1 };
        heartbeatsMissed = 0;
        UpdateDetails();
        return Task.FromResult(attachment.Number!.Value);
    }

    /// <summary>Rejects an attachment that cannot work, before it is recorded in history.</summary>
    /// <param name="next">The attachment.</param>
    [WorkflowUpdateValidator(nameof(AttachAsync))]
    public void ValidateAttach(DispatcherAttachment next)
    {
        if (ValidateAttachment(next) is { } error)
        {
            throw new ApplicationFailureException(
                "Invalid attachment: " + error,
                DocumentPipelineWorkflow.InvalidInputErrorType,
                nonRetryable: true);
        }
    }

    /// <summary>Returns why an attachment cannot be used, or null.</summary>
    /// <param name="attachment">The attachment.</param>
    /// <returns>The reason, or null when valid.</returns>
    public static string? ValidateAttachment(DispatcherAttachment? attachment) =>
        attachment switch
        {
            null => "attachment is required",
            { DecodeError: { } decodeError } => decodeError,
            { HeartbeatTaskQueue: null or "" } or { HeartbeatTaskQueue.Length: > 200 } =>
                "'heartbeatTaskQueue' is required: 1-200 characters",
            { HeartbeatIntervalSeconds: null or < 1 or > 600 } =>
                "'heartbeatIntervalSeconds' must be between 1 and 600",
            _ => null,
        };

    /// <summary>Returns why a request cannot be dispatched, or null.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The reason, or null when valid.</returns>
    public static string? ValidateRequest(DispatchRequest? request)
    {
        if (request is null)
        {
            return "request is required";
        }

        if (request.DecodeError is { } decodeError)
        {
            return decodeError;
        }

        if (string.IsNullOrWhiteSpace(request.RequestId) || !RequestIdPattern().IsMatch(request.RequestId))
        {
            return "'requestId' is required: 1-100 letters, digits, '.', '_' or '-'";
        }

        return DocumentPipelineInputValidator.Validate(request.Pipeline) is { } error ? "'pipeline': " + error : null;
    }

    private bool ShouldContinueAsNew() =>
        Workflow.CurrentHistoryLength >= maxHistoryEvents
        || Workflow.CurrentHistorySize >= HistoryBytesBound
        || Workflow.ContinueAsNewSuggested;

    /// <summary>Whether what is pending can be carried over by continue-as-new.</summary>
    private bool BacklogFits() =>
        carryBacklog
            ? pending.Count <= MaxBacklogCount && pendingBytes <= MaxBacklogBytes
            : pending.Count == 0;

    /// <summary>
    /// Continues as new with what is pending as the next run's backlog, once handlers and heartbeats that
    /// are still running are done (continue-as-new would cut them off; a heartbeat to a worker that is
    /// gone runs for an interval). While the backlog does not fit, the caller dispatches more first.
    /// </summary>
    /// <returns>False when the backlog does not fit (any more): dispatch, then try again.</returns>
    private async Task<bool> ContinueAsNewIfBacklogFitsAsync()
    {
        if (!BacklogFits())
        {
            return false;
        }

        // No new heartbeat starts meanwhile (one after a miss would otherwise always be in flight).
        draining = true;
        await Workflow.WaitConditionAsync(() =>
            !BacklogFits() || (Workflow.AllHandlersFinished && activitiesInFlight == 0 && releases.Count == 0));
        draining = false;
        if (!BacklogFits())
        {
            return false;
        }

        var backlog = pending.Select(p => p.Request).ToList();
        Log.DispatcherContinuingAsNew(Workflow.Logger, Workflow.CurrentHistoryLength, backlog.Count);
        var next = PayloadBudget.Checked(
            new DispatcherInput(maxHistoryEvents, totals, attachment, backlog.Count == 0 ? null : backlog),
            "the continue-as-new input");
        throw Workflow.CreateContinueAsNewException((DocumentDispatcherWorkflow wf) => wf.RunAsync(next));
    }

    private void Enqueue(DispatchRequest request)
    {
        var bytes = PipelineDataConverter.EncodedBytes(request);
        pending.Enqueue((request, bytes));
        pendingBytes += bytes;
    }

    private DispatchRequest Dequeue()
    {
        var (request, bytes) = pending.Dequeue();
        pendingBytes -= bytes;
        return request;
    }

    /// <summary>
    /// Says what a cancel leaves undone: every request not dispatched, by id, and one being dispatched.
    /// </summary>
    private void ReportUndispatched()
    {
        if (dispatching is { } inFlight)
        {
            Log.DispatchInterruptedByCancel(Workflow.Logger, inFlight.RequestId!, ChildId(inFlight));
        }

        foreach (var (request, _) in pending)
        {
            Log.DispatchPendingAtCancel(Workflow.Logger, request.RequestId!);
        }

        Log.DispatcherCanceled(Workflow.Logger, pending.Count + (dispatching is null ? 0 : 1), totals.Dispatched);
    }

    private static string ChildId(DispatchRequest request) => $"{Workflow.Info.WorkflowId}-{request.RequestId}";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex RequestIdPattern();

    private async Task DispatchAsync(DispatchRequest request)
    {
        var pipeline = PayloadBudget.Checked(request.Pipeline!, "the dispatched pipeline's input");
        dispatching = request;
        try
        {
            // The request id names the child, so the server itself refuses to run a request twice.
            // Abandon: children outlive this run when it continues as new.
            await Workflow.StartChildWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(pipeline),
                new ChildWorkflowOptions
                {
                    Id = ChildId(request),
                    ParentClosePolicy = ParentClosePolicy.Abandon,
                    IdReusePolicy = WorkflowIdReusePolicy.RejectDuplicate,
                    StaticSummary = $"Pipeline {pipeline.Name} from dispatcher request {request.RequestId}",
                });
            totals = totals with { Dispatched = totals.Dispatched + 1 };
        }
        catch (WorkflowAlreadyStartedException)
        {
            totals = totals with { Duplicates = totals.Duplicates + 1 };
            Log.DispatchDuplicate(Workflow.Logger, request.RequestId!);
        }

        dispatching = null;
    }

    /// <summary>
    /// Heartbeats to the attached worker every interval, and tells released workers they were
    /// released. A heartbeat that does not arrive within the interval is counted and the next one
    /// goes at once; the worker judges staleness by what reaches it. While the run drains before
    /// continuing as new, no heartbeat starts.
    /// </summary>
    private async Task HeartbeatAsync()
    {
        var id = Workflow.Info.WorkflowId;
        while (true)
        {
            await Workflow.WaitConditionAsync(() => releases.Count > 0 || (attachment is not null && !draining));
            while (releases.TryDequeue(out var released))
            {
                var release = new DispatcherHeartbeat(id, released.Number ?? 0);
                _ = RunHeartbeatActivityAsync(
                    (DispatcherHeartbeatActivities a) => a.Release(release),
                    released.HeartbeatTaskQueue!,
                    ReleaseTimeout,
                    "Release the worker attached before");
            }

            if (draining || attachment is not { } current)
            {
                continue;
            }

            var interval = TimeSpan.FromSeconds(current.HeartbeatIntervalSeconds!.Value);
            var beat = new DispatcherHeartbeat(id, current.Number ?? 0);
            var heartbeat = RunHeartbeatActivityAsync(
                (DispatcherHeartbeatActivities a) => a.RecordHeartbeat(beat),
                current.HeartbeatTaskQueue!,
                interval,
                "Heartbeat to the attached worker");

            // A worker that attaches meanwhile gets its first heartbeat at once, not after the one
            // still waiting for the worker before (which may be gone) times out.
            using (var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(Workflow.CancellationToken))
            {
                var reattached = Workflow.WaitConditionAsync(
                    () => !ReferenceEquals(attachment, current), stopWaiting.Token);
                var first = await Workflow.WhenAnyAsync(heartbeat, reattached);
                // Cancel, not CancelAsync: the callbacks must run here, on the workflow's own scheduler.
#pragma warning disable CA1849
                stopWaiting.Cancel();
#pragma warning restore CA1849
                if (first != heartbeat)
                {
                    continue;
                }
            }

            var arrived = await heartbeat;
            if (ReferenceEquals(attachment, current) && !Workflow.CancellationToken.IsCancellationRequested)
            {
                if (!arrived && heartbeatsMissed++ == 0)
                {
                    Log.DispatcherHeartbeatMissed(Workflow.Logger, current.HeartbeatTaskQueue!);
                }
                else if (arrived && heartbeatsMissed > 0)
                {
                    Log.DispatcherHeartbeatRestored(Workflow.Logger, current.HeartbeatTaskQueue!, heartbeatsMissed);
                    heartbeatsMissed = 0;
                }

                UpdateDetails();
            }

            // A missed beat already took an interval to time out: the next one goes at once, so one miss
            // leaves a gap of two intervals. A new attachment or a release is served at once too;
            // otherwise the next beat is due after the interval.
            if (!arrived && !Workflow.CancellationToken.IsCancellationRequested)
            {
                continue;
            }

            await Workflow.WaitConditionWithOptionsAsync(new(
                () => !ReferenceEquals(attachment, current) || releases.Count > 0,
                interval,
                string.Create(CultureInfo.InvariantCulture, $"Next heartbeat in {interval.TotalSeconds:0} s")));
        }
    }

    private async Task<bool> RunHeartbeatActivityAsync(
        System.Linq.Expressions.Expression<Action<DispatcherHeartbeatActivities>> activity,
        string taskQueue,
        TimeSpan timeout,
        string summary)
    {
        activitiesInFlight++;
        try
        {
            await Workflow.ExecuteActivityAsync(activity, new ActivityOptions
            {
                TaskQueue = taskQueue,
                ScheduleToCloseTimeout = timeout,
                RetryPolicy = new() { MaximumAttempts = 1 },
                Summary = summary,
            });
            return true;
        }
        catch (ActivityFailureException)
        {
            // Nobody polls that queue any more (the worker is gone) or it answered too late.
            return false;
        }
        finally
        {
            activitiesInFlight--;
        }
    }

    private void UpdateDetails() =>
        Workflow.CurrentDetails = string.Create(
            CultureInfo.InvariantCulture,
            $"**Dispatched:** {totals.Dispatched} pipelines\n\n"
                + $"**Pending:** {pending.Count} ({pendingBytes / 1024} KiB)\n\n"
                + $"**Rejected:** {totals.Rejected} · **Duplicates:** {totals.Duplicates}\n\n"
                + $"**Run:** {totals.Generation} (continues as new at history bound)\n\n"
                + $"**Heartbeat:** {HeartbeatDetails()}");

    private string HeartbeatDetails() => attachment switch
    {
        null => "no worker attached",
        _ when heartbeatsMissed > 0 => $"{heartbeatsMissed} missed in a row to `{attachment.HeartbeatTaskQueue}`",
        _ => $"every {attachment.HeartbeatIntervalSeconds} s to `{attachment.HeartbeatTaskQueue}`",
    };
}
