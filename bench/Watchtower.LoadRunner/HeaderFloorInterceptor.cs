using System.Diagnostics;
using Temporalio.Api.Common.V1;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.LoadRunner;

/// <summary>
/// The <c>header-floor</c> mode: no spans and no metrics, only a trace header of the size tracing sends, put on every
/// activity and child workflow a workflow starts, the cheapest way the SDK's interceptors allow (a copy of the call's
/// input with a new header dictionary, one payload shared by every call), and read by nobody. What this costs against
/// off is the part of any context-carrying interceptor's cost, ours or the SDK's own, that comes from sending the
/// header at all.
/// </summary>
internal sealed class HeaderFloorInterceptor : IWorkerInterceptor
{
    private static readonly Payload Header = TraceHeader.Create(
        new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None),
        baggage: null);

    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        new Inbound(nextInterceptor);

    private static Dictionary<string, Payload> WithTraceHeader(IDictionary<string, Payload>? headers)
    {
        var result = headers is null ? new Dictionary<string, Payload>(1) : new(headers);
        result[TraceHeader.DefaultKey] = Header;
        return result;
    }

    private sealed class Inbound(WorkflowInboundInterceptor next) : WorkflowInboundInterceptor(next)
    {
        public override void Init(WorkflowOutboundInterceptor outbound) => base.Init(new Outbound(outbound));
    }

    private sealed class Outbound(WorkflowOutboundInterceptor next) : WorkflowOutboundInterceptor(next)
    {
        public override Task<TResult> ScheduleActivityAsync<TResult>(ScheduleActivityInput input) =>
            base.ScheduleActivityAsync<TResult>(input with { Headers = WithTraceHeader(input.Headers) });

        public override Task<TResult> ScheduleLocalActivityAsync<TResult>(ScheduleLocalActivityInput input) =>
            base.ScheduleLocalActivityAsync<TResult>(input with { Headers = WithTraceHeader(input.Headers) });

        public override Task<ChildWorkflowHandle<TWorkflow, TResult>> StartChildWorkflowAsync<TWorkflow, TResult>(
            StartChildWorkflowInput input) =>
            base.StartChildWorkflowAsync<TWorkflow, TResult>(input with { Headers = WithTraceHeader(input.Headers) });
    }
}
