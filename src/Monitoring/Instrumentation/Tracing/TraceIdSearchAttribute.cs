using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;
using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Gives each run its trace id as a Keyword search attribute, so that the runs behind a trace are found with
/// <c>temporal workflow list --query 'TraceId="..."'</c>. An upsert is a command, so the choice is history's: a new
/// run gets it when its namespace has the attribute registered (a patch marker records that it did), and a replay
/// does what its history did, whatever the namespace or the tracing switch says now; the trace id comes from the
/// run's history too, not from sampling. An attribute the namespace does not know would fail every workflow task,
/// so none is upserted in a namespace until <see cref="CheckAsync"/> has found it there. A history with the upsert
/// replays only through this interceptor naming the same attribute: without it, the SDK meets a command no code
/// asked for. A child whose start carries a trace header gets the attribute in its start instead (the header's
/// trace is the child's), which costs no command in either run: the child finds it there and upserts nothing.
/// </summary>
internal sealed class TraceIdSearchAttribute(
    string name, TemporalMonitoringInterceptorOptions options, ILogger logger)
{
    public const string PatchId = "watchtower-trace-id-search-attribute";

    /// <summary>A lookup that hangs must not keep the worker from polling.</summary>
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);

    private readonly SearchAttributeKey<string> key = SearchAttributeKey.CreateKeyword(name);
    private readonly ConcurrentDictionary<string, byte> registeredIn = new(StringComparer.Ordinal);
    private int missingSaid;

    /// <summary>Looks the attribute up in the client's namespace; a failed lookup counts as not registered.</summary>
    public async Task<bool> CheckAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var ns = client.Options.Namespace;
        string found;
        try
        {
            var response = await client.Connection.OperatorService.ListSearchAttributesAsync(
                new() { Namespace = ns },
                new() { CancellationToken = cancellationToken, Timeout = LookupTimeout }).ConfigureAwait(false);
            found = response.CustomAttributes.TryGetValue(name, out var type)
                ? type == IndexedValueType.Keyword ? string.Empty : "it is " + type
                : "not registered";
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            found = "could not be looked up: " + e.Message;
        }

        if (found.Length == 0)
        {
            registeredIn[ns] = 0;
            return true;
        }

        registeredIn.TryRemove(ns, out _);
        if (Interlocked.Exchange(ref missingSaid, 1) == 0)
        {
            Log.TraceIdSearchAttributeMissing(logger, name, ns, found);
        }

        return false;
    }

    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor next) => new Inbound(this, next);

    /// <summary>
    /// In the run's first activation, before its own code: so the marker and the upsert come first. A replay goes by
    /// the marker alone, so a history from before children got the attribute at their start replays as it ran. A run
    /// whose start already holds its trace id, as a traced parent starts its children, records nothing.
    /// </summary>
    private void Upsert()
    {
        var info = Workflow.Info;
        string? traceId = null;
        bool upsert;
        if (Workflow.Unsafe.IsReplaying)
        {
            upsert = Workflow.Patched(PatchId);
        }
        else if (!registeredIn.ContainsKey(info.Namespace))
        {
            upsert = false;
        }
        else
        {
            traceId = RunTraces.TraceIdOf(options, info).ToHexString();
            upsert = !(Workflow.TypedSearchAttributes.TryGetValue(key, out var started) && started == traceId)
                && Workflow.Patched(PatchId);
        }

        if (upsert)
        {
            Workflow.UpsertTypedSearchAttributes(
                key.ValueSet(traceId ?? RunTraces.TraceIdOf(options, info).ToHexString()));
        }
    }

    /// <summary>
    /// The child's options with its trace id in the attribute, when its start carries a trace header: the header's
    /// trace is the one the child runs in (a child starts no trace of its own). Null to leave them as they are: no
    /// header (tracing off), the namespace without the attribute, or a value the caller set (which the child then
    /// replaces with its trace id, as any run does).
    /// </summary>
    private ChildWorkflowOptions? WithTraceId(StartChildWorkflowInput input)
    {
        if (!registeredIn.ContainsKey(Workflow.Info.Namespace)
            || TraceHeader.TryRead(
                input.Headers as IReadOnlyDictionary<string, Payload>, options.HeaderKey, out var remote)
            != TraceHeaderStatus.Valid
            || input.Options.TypedSearchAttributes?.ContainsKey(name) == true)
        {
            return null;
        }

        var attributes = new SearchAttributeCollection.Builder(
                input.Options.TypedSearchAttributes ?? SearchAttributeCollection.Empty)
            .Set(key, remote.Context.TraceId.ToHexString())
            .ToSearchAttributeCollection();
        var child = (ChildWorkflowOptions)input.Options.Clone();
        child.TypedSearchAttributes = attributes;
        return child;
    }

    private sealed class Inbound(TraceIdSearchAttribute owner, WorkflowInboundInterceptor next)
        : WorkflowInboundInterceptor(next)
    {
        private bool passThrough;

        public override void Init(WorkflowOutboundInterceptor outbound)
        {
            passThrough = DuplicateInterceptorGuard<TraceIdSearchAttribute>.IsInnerCopy;
            using var mark = DuplicateInterceptorGuard<TraceIdSearchAttribute>.InitializingAsOuterCopy(!passThrough);
            base.Init(passThrough ? outbound : new Outbound(owner, outbound));
        }

        public override Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            if (!passThrough)
            {
                owner.Upsert();
            }

            return Next.ExecuteWorkflowAsync(input);
        }
    }

    /// <summary>Below tracing's outbound, so that a child's start arrives with its trace header in it.</summary>
    private sealed class Outbound(TraceIdSearchAttribute owner, WorkflowOutboundInterceptor next)
        : WorkflowOutboundInterceptor(next)
    {
        public override Task<ChildWorkflowHandle<TWorkflow, TResult>> StartChildWorkflowAsync<TWorkflow, TResult>(
            StartChildWorkflowInput input) =>
            base.StartChildWorkflowAsync<TWorkflow, TResult>(
                owner.WithTraceId(input) is { } options ? input with { Options = options } : input);
    }
}
