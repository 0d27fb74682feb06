using System.Diagnostics;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Extensions.Hosting;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.EndToEnd.Tests.Workflows;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// Failures the code marks benign are expected: kept apart from failures on spans and metrics, so that neither
/// a trace view nor the failure-ratio alerts call them errors. Spans say where and on which attempt they ran.
/// </summary>
public sealed class BenignFailureTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task BenignFailure_ActivityAndRunFailBenignly_NotErrorsAndCountedApartWithAttributes()
    {
        server.RequireCli();
        SpanRecorder? spans = null;
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            s =>
            {
                spans = SpanRecorder.Attach(s);
                Monitored.Workflows(s)
                    .AddWorkflow<BenignFailureWorkflow>()
                    .AddStaticActivities(typeof(BenignFailureActivities));
            },
            new Dictionary<string, string?> { ["Monitoring:SpanSearchAttributes:0"] = "Tenant" });
        using var metrics = new MetricsProbe(worker.TaskQueue);
        var client = await Monitored.ClientAsync(worker, server.TargetHost);
        using var root = SpanRecorder.ClientRoot();

        var options = worker.Options("benign-" + Guid.NewGuid());
        options.TypedSearchAttributes = new SearchAttributeCollection.Builder()
            .Set(DevServerFixture.TenantAttribute, "acme")
            .ToSearchAttributeCollection();
        var failure = await Assert.ThrowsAsync<WorkflowFailedException>(
            () => client.ExecuteWorkflowAsync((BenignFailureWorkflow wf) => wf.RunAsync(), options));
        Assert.Equal("NothingToDo", Assert.IsType<ApplicationFailureException>(failure.InnerException).ErrorType);

        var trace = await spans!.WaitForAsync(
            root.TraceId,
            t => t.Any(s => s.DisplayName == "RunWorkflow:BenignFailure"),
            "RunWorkflow:BenignFailure to be exported");
        var run = Monitored.Single(trace, "RunWorkflow:BenignFailure");
        var start = Monitored.Single(trace, "StartActivity:refuseBenignly");
        var activity = Monitored.Single(trace, "RunActivity:refuseBenignly");
        Assert.All([run, start, activity], s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
        Assert.Equal(
            [("benign_failure", "NothingToDo"), ("benign_failure", "NotReady")],
            new[] { run, activity }.Select(s => (s.GetTagItem("temporal.outcome"), s.GetTagItem("error.type"))));

        foreach (var span in new[] { run, activity })
        {
            Assert.Equal(1, span.GetTagItem("temporal.attempt"));
            Assert.Equal(worker.TaskQueue, span.GetTagItem("temporal.task_queue"));
            Assert.Equal("default", span.GetTagItem("temporal.namespace"));
        }

        // Only the search attributes named in settings, and only on the run's span.
        Assert.Equal("acme", run.GetTagItem("temporal.search_attribute.Tenant"));
        Assert.DoesNotContain(trace, s => s != run && s.GetTagItem("temporal.search_attribute.Tenant") is not null);
        Assert.DoesNotContain(run.Tags, t => t.Key.StartsWith("temporal.search_attribute.", StringComparison.Ordinal)
            && t.Key != "temporal.search_attribute.Tenant");

        Assert.Equal(
            (1, 0),
            (metrics.Closed("BenignFailure", "benign_failure"), metrics.Closed("BenignFailure", "failed")));
        Assert.Equal(
            (1, 0),
            (metrics.Activities("refuseBenignly", "benign_failure"), metrics.Activities("refuseBenignly", "failed")));
    }
}
