using System.Text.RegularExpressions;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;

namespace Watchtower.EndToEnd.Tests.Faults;

/// <content>
/// Hostile callers: crafted trace headers on every start and signal, and type names nobody registers.
/// </content>
public sealed partial class FaultSuiteTests
{
    private const string TraceParent = "00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01";

    private static readonly string[] OurWorkflowTypes =
        ["DocumentPipeline", "DocumentBatch", "DocumentDispatcher", "_unregistered"];

    [Fact(Timeout = TestTimeouts.Fault)]
    public async Task HostileHeadersAndTypes_CraftedContextsAndUnregisteredTypes_RunsCompleteAndSeriesStayBounded()
    {
        var perVariant = FaultScale.Pick(ci: 5, soak: 25);
        var types = FaultScale.Pick(ci: 300, soak: 5000);
        await using var worker = await WorkerProcess.StartAsync(Server.Address, Queue("hostile"));
        var client = await Server.ConnectAsync();
        var before = worker.Usage();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var runs = new List<PipelineRun>();
        foreach (var (name, header) in HostileHeaders())
        {
            var hostile = await TemporalClient.ConnectAsync(new(Server.Address)
            {
                DataConverter = PipelineDataConverter.Instance,
                Interceptors = [new FixedHeaderInterceptor(header, header)],
            });
            var run = new PipelineRun(client, worker.TaskQueue, "hostile-" + name, perVariant);
            await run.StartAsync(through: hostile, review: true);
            runs.Add(run);
        }

        foreach (var run in runs)
        {
            await run.WaitForAllAsync(Budget(run.Count));
            await run.AssertNoneLostOrDuplicatedAsync();
        }

        // Fifty starts at a time: thousands at once time out in the dev server's own database, not in the worker.
        using var starts = new SemaphoreSlim(50);
        await Task.WhenAll(UnregisteredTypeNames(types).Select(async (type, i) =>
        {
            await starts.WaitAsync(TestContext.Current.CancellationToken);
            try
            {
                await client.StartWorkflowAsync(
                    type, [], new($"unregistered-{i}-{Guid.NewGuid():N}", worker.TaskQueue));
            }
            finally
            {
                starts.Release();
            }
        }));

        var scrape = await Eventually.UntilAsync(
            worker.ScrapeAsync,
            s => Sample(
                    s,
                    "temporal_workflow_task_execution_failed_total",
                    $"task_queue=\"{worker.TaskQueue}\"",
                    "workflow_type=\"_unregistered\"") >= types,
            $"the worker to fail the first task of all {types} workflows of unregistered types",
            Budget(types));
        var after = worker.Usage();

        Assert.DoesNotContain("Hostile", scrape, StringComparison.Ordinal);
        Assert.Empty(WorkflowTypeLabels().Matches(scrape).Select(m => m.Groups[1].Value).Except(OurWorkflowTypes));
        foreach (var part in new[] { "tracestate", "baggage", "header" })
        {
            Assert.True(
                Sample(scrape, "watchtower_trace_context_dropped_total", $"part=\"{part}\"") > 0,
                $"no {part} counted as dropped");
        }

        // Each warning at most once a minute, however many headers broke the limits.
        var warnings = worker.Warnings();
        var minutes = 1 + (int)Math.Ceiling(clock.Elapsed.TotalMinutes);
        Assert.InRange(
            warnings.Count(w => w.StartsWith("TraceContextDropped", StringComparison.Ordinal)), 1, minutes);
        Assert.InRange(
            warnings.Count(w => w.StartsWith("MalformedTraceHeader", StringComparison.Ordinal)), 1, minutes);
        await AssertServingAsync(worker);
        FaultScale.Figure(
            "hostile headers and types",
            $"{runs.Sum(r => r.Count)} pipelines with crafted headers, {types} unregistered types; "
                + $"worker CPU {(after.Cpu - before.Cpu).TotalSeconds:F1} s; "
                + $"peak {after.PeakBytes / 1048576.0:F0} MB; "
                + $"{WorkflowTypeLabels().Matches(scrape).Select(m => m.Groups[1].Value).Distinct().Count()} "
                + "workflow_type values in the scrape");
    }

    /// <summary>Each crafted <c>_tracer-data</c> header a hostile or broken client could send.</summary>
    private static IEnumerable<(string Name, Payload Header)> HostileHeaders()
    {
        yield return ("tracestate-long", WithField("tracestate", $"\"k={new string('x', 600)}\""));
        var members = string.Join(',', Enumerable.Range(0, 40).Select(i => $"v{i}=1"));
        yield return ("tracestate-members", WithField("tracestate", $"\"{members}\""));
        var entries = string.Join(',', Enumerable.Range(0, 1000).Select(i => $"k{i}=v"));
        yield return ("baggage-entries", WithField("baggage", $"\"{entries}\""));
        yield return ("baggage-bytes", WithField("baggage", $"\"k={new string('x', 9000)}\""));
        yield return ("header-huge", WithField("x", $"\"{new string('x', 20_000)}\""));
        yield return ("deep-nesting", WithField("x", new string('[', 5000) + new string(']', 5000)));
        yield return ("invalid-utf8", Raw([.. "{\"traceparent\":\""u8, 0xC3, 0x28, .. "\"}"u8]));
        yield return ("not-json", Raw([.. Enumerable.Range(0, 1024).Select(i => (byte)(i * 37))]));
    }

    /// <summary>A valid traceparent and one more field, its JSON value as given.</summary>
    private static Payload WithField(string field, string json) =>
        Raw(System.Text.Encoding.UTF8.GetBytes($$"""{"traceparent":"{{TraceParent}}","{{field}}":{{json}}}"""));

    /// <summary>
    /// Type names a client may choose: many, long, and with characters that break exposition formats.
    /// </summary>
    private static List<string> UnregisteredTypeNames(int count)
    {
        var names = Enumerable.Range(0, count - 3).Select(i => "Hostile" + i).ToList();
        names.Add("Hostile" + new string('x', 900));
        names.Add("Hostile\"quoted\"\n{injected=\"1\"}");
        names.Add("Hostile 🚀 ünïcode");
        return names;
    }

    private static Payload Raw(byte[] data) => new()
    {
        Metadata = { ["encoding"] = ByteString.CopyFromUtf8("json/plain") },
        Data = ByteString.CopyFrom(data),
    };

    [GeneratedRegex("workflow_type=\"([^\"]*)\"")]
    private static partial Regex WorkflowTypeLabels();
}
