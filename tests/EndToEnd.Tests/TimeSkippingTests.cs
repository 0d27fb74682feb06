using Temporalio.Client;
using Temporalio.Testing;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>Timer-heavy cases on the official time-skipping test server.</summary>
public sealed class TimeSkippingTests
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_WeekLongReviewWindowElapses_AutoApproves()
    {
        await using var env = await StartTestServerAsync();
        await using var worker = await WorkerHarness.StartAsync(env.Client.Connection.Options.TargetHost);
        var input = Documents.Pipeline(documents: 3, reviewWindowSeconds: 7 * 24 * 3600);
        var start = await env.GetCurrentTimeAsync();

        // Awaiting the result through the environment's client lets the server skip the week.
        var result = await env.Client.ExecuteWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
            worker.Options("ts-" + Guid.NewGuid()));

        Assert.Equal("auto-approved", result.ApprovedBy);
        Assert.Equal(3, result.DocumentsPublished);
        Assert.True(
            await env.GetCurrentTimeAsync() - start >= TimeSpan.FromDays(7),
            "the review timer should have skipped a week of server time");
    }

    /// <summary>
    /// The test server from the tools folder; without one, the SDK downloads it as it would on any machine
    /// (a failed download skips the test locally; under CI the tools are always installed).
    /// </summary>
    private static async Task<WorkflowEnvironment> StartTestServerAsync()
    {
        var existing = TestTools.TemporalTestServer;
        if (existing is null && TestTools.IsCi)
        {
            TestTools.Require(existing, "Temporal time-skipping test server");
        }

        try
        {
            return await WorkflowEnvironment.StartTimeSkippingAsync(new()
            {
                DataConverter = PipelineDataConverter.Instance,
                TestServer = new() { ExistingPath = existing },
            });
        }
        catch (Exception e) when (existing is null && e is not OutOfMemoryException)
        {
            Assert.Skip(
                "the Temporal time-skipping test server is not installed and the SDK could not download it: "
                + e.Message);
            throw;
        }
    }
}
