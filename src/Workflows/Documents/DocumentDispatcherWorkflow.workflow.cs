using System.Globalization;
using System.Text.RegularExpressions;
using Temporalio.Exceptions;
using Temporalio.Workflows;
using WorkflowIdReusePolicy = Temporalio.Api.Enums.V1.WorkflowIdReusePolicy;

namespace Watchtower.Workflows.Documents;

/// <summary>
/// A long-running dispatcher: receives pipeline requests by the <c>submit</c> signal, starts a
/// <see cref="DocumentPipelineWorkflow"/> child for each, and continues as new before its history
/// grows large, carrying pending requests and counters over.
/// </summary>
[Workflow("DocumentDispatcher")]
public sealed partial class DocumentDispatcherWorkflow
{
    /// <summary>Default history size that triggers continue-as-new.</summary>
    public const int DefaultMaxHistoryEvents = 2000;

    private readonly Queue<DispatchRequest> pending = new();
    private readonly int maxHistoryEvents;
    private readonly string? inputError;
    private DispatcherTotals totals;

    /// <summary>
    /// Initializes a new instance of the <see cref="DocumentDispatcherWorkflow"/> class. State is restored
    /// here rather than in <see cref="RunAsync"/> because signals buffered across continue-as-new are
    /// delivered before the run method starts, and must find the carried-over counters. Nothing else is
    /// carried: the queue is always drained before continuing as new, and every request arrives by the
    /// validating <c>submit</c> signal.
    /// </summary>
    /// <param name="input">Settings, and state carried over from the previous run.</param>
    [WorkflowInit]
    public DocumentDispatcherWorkflow(DispatcherInput? input = null)
    {
        maxHistoryEvents = input?.MaxHistoryEvents ?? DefaultMaxHistoryEvents;
        inputError = input?.DecodeError
            ?? (maxHistoryEvents is < 20 or > 50_000
                ? string.Create(CultureInfo.InvariantCulture, $"'maxHistoryEvents' must be between 20 and 50000 (got {maxHistoryEvents})")
                : null);
        var carried = input?.Totals ?? new DispatcherTotals(0, 0, 0, 0);
        totals = carried with { Generation = carried.Generation + 1 };
    }

    /// <summary>Gets the dispatcher's counters and queue length.</summary>
    [WorkflowQuery("status")]
    public DispatcherStatus Status => new(totals, pending.Count, Workflow.CurrentHistoryLength);

    /// <summary>Runs until cancelled, continuing as new once history reaches the bound and the queue is empty.</summary>
    /// <param name="input">Settings, and state carried over from the previous run (already applied by the constructor).</param>
    /// <returns>Never completes normally; ends by continue-as-new or cancellation.</returns>
    [WorkflowRun]
    public async Task RunAsync(DispatcherInput? input = null)
    {
        if (inputError is not null)
        {
            throw new ApplicationFailureException(
                "Invalid DocumentDispatcher input: " + inputError, DocumentPipelineWorkflow.InvalidInputErrorType, nonRetryable: true);
        }

        while (true)
        {
            UpdateDetails();
            await Workflow.WaitConditionAsync(() => pending.Count > 0 || ShouldContinueAsNew());

            // The queue is drained first: carrying a backlog of requests into the next run's input
            // could exceed the server's payload limit, and a burst of signals could otherwise make
            // every new run continue as new before dispatching anything.
            if (pending.Count == 0)
            {
                // Handlers that are still running would be cut off by continue-as-new; a request that
                // arrived meanwhile is dispatched first.
                await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished);
                if (pending.Count == 0)
                {
                    Log.DispatcherContinuingAsNew(Workflow.Logger, Workflow.CurrentHistoryLength);
                    var next = new DispatcherInput(maxHistoryEvents, Totals: totals);
                    throw Workflow.CreateContinueAsNewException((DocumentDispatcherWorkflow wf) => wf.RunAsync(next));
                }
            }

            await DispatchAsync(pending.Dequeue());
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
            totals = totals with { Rejected = totals.Rejected + 1, LastRejection = error };
            Log.DispatchRejected(Workflow.Logger, error);
            UpdateDetails();
            return Task.CompletedTask;
        }

        pending.Enqueue(request);
        return Task.CompletedTask;
    }

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
        Workflow.CurrentHistoryLength >= maxHistoryEvents || Workflow.ContinueAsNewSuggested;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex RequestIdPattern();

    private async Task DispatchAsync(DispatchRequest request)
    {
        var pipeline = request.Pipeline!;
        try
        {
            // The request id names the child, so the server itself refuses to run a request twice.
            // Abandon: children outlive this run when it continues as new.
            await Workflow.StartChildWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(pipeline),
                new ChildWorkflowOptions
                {
                    Id = $"{Workflow.Info.WorkflowId}-{request.RequestId}",
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
    }

    private void UpdateDetails() =>
        Workflow.CurrentDetails = string.Create(
            CultureInfo.InvariantCulture,
            $"**Dispatched:** {totals.Dispatched} pipelines\n\n**Pending:** {pending.Count}\n\n**Rejected:** {totals.Rejected} · **Duplicates:** {totals.Duplicates}\n\n**Run:** {totals.Generation} (continues as new at history bound)");
}
