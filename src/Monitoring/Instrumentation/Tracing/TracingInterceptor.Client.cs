using System.Diagnostics;
using Temporalio.Client;
using Temporalio.Client.Interceptors;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Client spans; the header carries the span's context to the workflow. Every step that touches telemetry
/// is guarded: a listener or exporter that throws costs the span, never the call, which succeeds or fails
/// exactly as it would without monitoring.
/// </summary>
internal sealed partial class TracingInterceptor
{
    private Activity? StartClientSpan(string name, string? workflowId, string? runId)
    {
        try
        {
            var span = Telemetry.Source.StartActivity(name, ActivityKind.Client);
            if (span is { IsAllDataRequested: true })
            {
                span.SetTag(SpanTags.WorkflowId, workflowId);
                if (runId is not null)
                {
                    span.SetTag(SpanTags.RunId, runId);
                }
            }

            return span;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ReportFailure(e);
            return null;
        }
    }

    private void Tag(Activity? span, string key, string? value)
    {
        if (span is not { IsAllDataRequested: true })
        {
            return;
        }

        try
        {
            span.SetTag(key, value);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ReportFailure(e);
        }
    }

    private void Fail(Activity? span, Exception exception)
    {
        try
        {
            SpanStatus.Record(span, exception, cancellationRequested: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ReportFailure(e);
        }
    }

    private void End(Activity? span)
    {
        try
        {
            span?.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ReportFailure(e);
        }
    }

    private sealed class ClientOutbound(TracingInterceptor root, ClientOutboundInterceptor next)
        : ClientOutboundInterceptor(next)
    {
        public override async Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(
            StartWorkflowInput input)
        {
            var name = input.Options.StartSignal is null ? "StartWorkflow:" : "SignalWithStartWorkflow:";
            var span = root.StartClientSpan(name + input.Workflow, input.Options.Id, runId: null);
            try
            {
                var handle = await base.StartWorkflowAsync<TWorkflow, TResult>(
                    input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
                root.Tag(span, SpanTags.RunId, handle.FirstExecutionRunId ?? handle.RunId);
                return handle;
            }
            catch (Exception e)
            {
                root.Fail(span, e);
                throw;
            }
            finally
            {
                root.End(span);
            }
        }

        public override async Task SignalWorkflowAsync(SignalWorkflowInput input)
        {
            // Without signal spans, the caller's context still travels to the handler.
            var span = root.Options.TraceSignals
                ? root.StartClientSpan("SignalWorkflow:" + input.Signal, input.Id, input.RunId)
                : null;
            try
            {
                await base.SignalWorkflowAsync(input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
            }
            catch (Exception e)
            {
                root.Fail(span, e);
                throw;
            }
            finally
            {
                root.End(span);
            }
        }

        public override async Task<TResult> QueryWorkflowAsync<TResult>(QueryWorkflowInput input)
        {
            var span = root.Options.TraceQueries
                ? root.StartClientSpan("QueryWorkflow:" + input.Query, input.Id, input.RunId)
                : null;
            try
            {
                return await base.QueryWorkflowAsync<TResult>(input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
            }
            catch (Exception e)
            {
                root.Fail(span, e);
                throw;
            }
            finally
            {
                root.End(span);
            }
        }

        public override async Task<WorkflowUpdateHandle<TResult>> StartWorkflowUpdateAsync<TResult>(
            StartWorkflowUpdateInput input)
        {
            var span = root.Options.TraceUpdates
                ? root.StartClientSpan("UpdateWorkflow:" + input.Update, input.Id, input.RunId)
                : null;
            root.Tag(span, SpanTags.UpdateId, input.Options.Id);
            try
            {
                var handle = await base.StartWorkflowUpdateAsync<TResult>(
                    input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
                root.Tag(span, SpanTags.UpdateId, handle.Id);
                await RecordKnownFailureAsync(span, handle, input.Options.WaitForStage).ConfigureAwait(false);
                return handle;
            }
            catch (Exception e)
            {
                root.Fail(span, e);
                throw;
            }
            finally
            {
                root.End(span);
            }
        }

        public override async Task<WorkflowUpdateHandle<TUpdateResult>>
            StartUpdateWithStartWorkflowAsync<TUpdateResult>(StartUpdateWithStartWorkflowInput input)
        {
            // The start travels with the update: without update spans it still gets the caller's context.
            var startOperation = input.Options.StartWorkflowOperation;
            var span = root.Options.TraceUpdates
                ? root.StartClientSpan(
                    "UpdateWithStartWorkflow:" + input.Update, startOperation?.Options.Id, runId: null)
                : null;
            root.Tag(span, SpanTags.UpdateId, input.Options.Id);
            try
            {
                if (startOperation is not null)
                {
                    startOperation.Headers = root.Inject(startOperation.Headers, span);
                }

                var handle = await base.StartUpdateWithStartWorkflowAsync<TUpdateResult>(
                    input with { Headers = root.Inject(input.Headers, span) })
                    .ConfigureAwait(false);
                root.Tag(span, SpanTags.UpdateId, handle.Id);
                root.Tag(span, SpanTags.RunId, handle.WorkflowRunId);
                await RecordKnownFailureAsync(span, handle, input.Options.WaitForStage).ConfigureAwait(false);
                return handle;
            }
            catch (Exception e)
            {
                root.Fail(span, e);
                throw;
            }
            finally
            {
                root.End(span);
            }
        }

        /// <summary>
        /// An update the validator rejected (or whose handler failed) comes back as a handle holding the
        /// failure when the call waited for completion; the exception is only thrown later, from the handle,
        /// outside this span. Reading the outcome here costs no call to the server, and never throws.
        /// </summary>
        private async Task RecordKnownFailureAsync<TResult>(
            Activity? span,
            WorkflowUpdateHandle<TResult> handle,
            WorkflowUpdateStage stage)
        {
            if (span is null || stage != WorkflowUpdateStage.Completed)
            {
                return;
            }

            try
            {
                await handle.GetResultAsync().ConfigureAwait(false);
            }
            catch (Temporalio.Exceptions.WorkflowUpdateFailedException e)
            {
                root.Fail(span, e.InnerException ?? e);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Reading the outcome is for the span only: whatever goes wrong here is the caller's to
                // meet when it reads the result, not this span's to throw.
            }
        }
    }
}
