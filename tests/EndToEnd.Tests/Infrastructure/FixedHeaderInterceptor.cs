using Temporalio.Api.Common.V1;
using Temporalio.Client;
using Temporalio.Client.Interceptors;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>A client that sends given <c>_tracer-data</c> payloads, as another SDK's client would.</summary>
internal sealed class FixedHeaderInterceptor(
    Payload? start,
    Payload? signal = null,
    Payload? update = null) : IClientInterceptor
{
    private Payload? Start => start;

    private Payload? Signal => signal;

    private Payload? Update => update;

    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
        new Outbound(this, nextInterceptor);

    private static Dictionary<string, Payload> With(IDictionary<string, Payload>? headers, Payload? payload)
    {
        var result = headers is null ? [] : new Dictionary<string, Payload>(headers);
        if (payload is not null)
        {
            result["_tracer-data"] = payload;
        }

        return result;
    }

    private sealed class Outbound(
        FixedHeaderInterceptor owner,
        ClientOutboundInterceptor next) : ClientOutboundInterceptor(next)
    {
        public override Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(
            StartWorkflowInput input) =>
            base.StartWorkflowAsync<TWorkflow, TResult>(input with { Headers = With(input.Headers, owner.Start) });

        public override Task SignalWorkflowAsync(SignalWorkflowInput input) =>
            base.SignalWorkflowAsync(input with { Headers = With(input.Headers, owner.Signal) });

        public override Task<WorkflowUpdateHandle<TResult>> StartWorkflowUpdateAsync<TResult>(
            StartWorkflowUpdateInput input) =>
            base.StartWorkflowUpdateAsync<TResult>(input with { Headers = With(input.Headers, owner.Update) });
    }
}
