using System.Diagnostics;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Workflows;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Gives each recorded run its trace id as a Keyword search attribute, so that the run behind a trace is found with
/// <c>temporal workflow list --query 'TraceId="..."'</c>. An upsert is a command, so the choice is history's: a new
/// run gets it when the attribute is registered (a patch marker records that it did), and a replay does what its
/// history did, whatever the namespace says now. An attribute the namespace does not know would fail every workflow
/// task, so none is upserted until <see cref="CheckAsync"/> has found it registered. Such a history replays only
/// through this interceptor with the same name: without it, the SDK meets an upsert no code asked for.
/// </summary>
internal sealed class TraceIdSearchAttribute(string name, Microsoft.Extensions.Logging.ILogger logger)
{
    public const string PatchId = "watchtower-trace-id-search-attribute";

    private volatile bool registered;
    private int missingSaid;

    public string Name => name;

    /// <summary>Looks the attribute up in the client's namespace; a failed lookup counts as not registered.</summary>
    public async Task<bool> CheckAsync(ITemporalClient client, CancellationToken cancellationToken)
    {
        var ns = client.Options.Namespace;
        string found;
        try
        {
            var response = await client.Connection.OperatorService.ListSearchAttributesAsync(
                new() { Namespace = ns }, new() { CancellationToken = cancellationToken }).ConfigureAwait(false);
            found = response.CustomAttributes.TryGetValue(name, out var type)
                ? type == IndexedValueType.Keyword ? string.Empty : "it is " + type
                : "not registered";
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            found = "could not be looked up: " + e.Message;
        }

        registered = found.Length == 0;
        if (!registered && Interlocked.Exchange(ref missingSaid, 1) == 0)
        {
            Log.TraceIdSearchAttributeMissing(logger, name, ns, found);
        }

        return registered;
    }

    /// <summary>In the run's first activation, before its own code: so the marker and the upsert come first.</summary>
    public void Upsert(ActivityTraceId traceId)
    {
        var upsert = Workflow.Unsafe.IsReplaying
            ? Workflow.Patched(PatchId)
            : registered && Workflow.Patched(PatchId);
        if (upsert)
        {
            Workflow.UpsertTypedSearchAttributes(
                SearchAttributeKey.CreateKeyword(name).ValueSet(traceId.ToHexString()));
        }
    }
}
