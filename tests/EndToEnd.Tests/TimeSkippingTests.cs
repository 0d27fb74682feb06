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
        var testServer = TestTools.Require(TestTools.TemporalTestServer, "Temporal time-skipping test server");
        await using var env = await WorkflowEnvironment.StartTimeSkippingAsync(new()
        {
            DataConverter = PipelineDataConverter.Instance,
            TestServer = new() { ExistingPath = testServer },
        });
        await using var worker = await WorkerHarness.StartAsync(env.Client.Connection.Options.TargetHost);
        var input = Documents.Pipeline(documents: 3, reviewWindowSeconds: 7 * 24 * 3600);
        var start = await env.GetCurrentTimeAsync();

        // Awaiting the result through the environment's client lets the server skip the week.
        var result = await env.Client.ExecuteWorkflowAsync((DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options("ts-" + Guid.NewGuid()));

        Assert.Equal("auto-approved", result.ApprovedBy);
        Assert.Equal(3, result.DocumentsPublished);
        Assert.True(await env.GetCurrentTimeAsync() - start >= TimeSpan.FromDays(7), "the review timer should have skipped a week of server time");
    }
}
