using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests.Faults;

/// <summary>
/// A batch of document pipelines started at once by a client that then waits for every result, across a
/// server that goes away and comes back; and the check that none was lost or run twice.
/// </summary>
internal sealed class PipelineRun(TemporalClient client, string taskQueue, string prefix, int count)
{
    public IReadOnlyList<string> Ids { get; } =
        [.. Enumerable.Range(0, count).Select(i => $"{prefix}-{i}-{Guid.NewGuid():N}")];

    public int Count => count;

    /// <summary>
    /// Starts them all at once. <paramref name="publishDelayMs"/> keeps each in flight for a while, one to four
    /// times as long by position, so that they do not all finish together and a kill finds some still running.
    /// </summary>
    public Task StartAsync(int publishDelayMs = 0, TemporalClient? through = null, bool review = false) =>
        Task.WhenAll(Ids.Select(async (id, i) =>
        {
            var caller = through ?? client;
            var input = Documents.Pipeline(
                documents: 3,
                batchSize: 2,
                reviewWindowSeconds: review ? 60 : 0,
                publishDelayMs: publishDelayMs * (1 + (i % 4)));
            var handle = await caller.StartWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(input), new(id, taskQueue));
            if (review)
            {
                await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "fault-suite")));
            }
        }));

    /// <summary>How many have completed so far, as the server's visibility sees it.</summary>
    public async Task<int> CompletedAsync()
    {
        var completed = 0;
        await foreach (var _ in client.ListWorkflowsAsync(
            $"TaskQueue = '{taskQueue}' AND WorkflowType = 'DocumentPipeline' AND ExecutionStatus = 'Completed' "
            + $"AND WorkflowId STARTS_WITH '{prefix}-'"))
        {
            completed++;
        }

        return completed;
    }

    /// <summary>Waits for every result; a call the server's absence failed is asked again.</summary>
    public async Task<TimeSpan> WaitForAllAsync(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        var results = await Task.WhenAll(Ids.Select(async id =>
        {
            while (true)
            {
                try
                {
                    return await client.GetWorkflowHandle<DocumentPipelineWorkflow, DocumentPipelineResult>(id)
                        .GetResultAsync(rpcOptions: new() { CancellationToken = limit.Token });
                }
                catch (RpcException) when (!limit.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), limit.Token);
                }
                catch (OperationCanceledException) when (limit.IsCancellationRequested
                    && !TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException(
                        $"{id} and maybe others had no result within {timeout.TotalSeconds:0} s; "
                        + $"{await CompletedAsync()} of {count} completed");
                }
            }
        }));
        Assert.All(results, r => Assert.Equal(3, r.DocumentsPublished));
        return clock.Elapsed;
    }

    /// <summary>Every id has exactly one run of the pipeline type, and it completed: none lost, none twice.</summary>
    public async Task AssertNoneLostOrDuplicatedAsync()
    {
        // Visibility trails the results a little: wait until it has every run closed, then judge.
        var runs = await Eventually.UntilAsync(
            ListAsync,
            r => r.Count >= count && r.All(run => run.Status != WorkflowExecutionStatus.Running),
            $"visibility to list the {count} pipelines of {prefix} as closed");

        Assert.Equal(count, runs.Count);
        Assert.Equal(count, runs.Select(r => r.Id).Distinct().Count());
        Assert.All(runs, r => Assert.Equal(WorkflowExecutionStatus.Completed, r.Status));
        Assert.Empty(Ids.Except(runs.Select(r => r.Id)));
    }

    private async Task<List<(string Id, WorkflowExecutionStatus Status)>> ListAsync()
    {
        var runs = new List<(string Id, WorkflowExecutionStatus Status)>();
        await foreach (var run in client.ListWorkflowsAsync(
            $"TaskQueue = '{taskQueue}' AND WorkflowType = 'DocumentPipeline' AND WorkflowId STARTS_WITH '{prefix}-'"))
        {
            runs.Add((run.Id, run.Status));
        }

        return runs;
    }
}
