using System.Globalization;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests.Faults;

/// <summary>
/// The bad day, against a dev server of the suite's own (a process it can kill, with a database file) and the
/// built worker as its own process. Every scenario passes only if every pipeline it started completes exactly
/// once and the worker still serves <c>/metrics</c> and <c>/health</c> at the end. Short here; full under
/// <c>task soak</c>, which records the figures. Runs alone: it kills servers and measures a process.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed partial class FaultSuiteTests : IAsyncLifetime
{
    private readonly string directory =
        Path.Combine(Path.GetTempPath(), "watchtower-faults-" + Guid.NewGuid().ToString("N"));

    private DevServerProcess? server;

    private DevServerProcess Server => server ?? throw new InvalidOperationException("no dev server");

    public async ValueTask InitializeAsync()
    {
        var cli = TestTools.Require(TestTools.TemporalCli, "Temporal CLI");
        Directory.CreateDirectory(directory);
        server = await DevServerProcess.StartAsync(cli, Path.Combine(directory, "faults.sqlite"));
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        TestTools.DeleteDirectoryBestEffort(directory);
    }

    [Fact(Timeout = TestTimeouts.Fault)]
    public async Task Load_PipelinesStartedAtOnce_AllCompleteOnceAndNoWarningThatNeedsNoAction()
    {
        var count = FaultScale.Pick(ci: 100, soak: 1000);
        var on = await RunLoadAsync(count, monitoring: true);
        FaultScale.Figure(
            "load, monitoring on",
            $"{count} pipelines; {on.Seconds:F1} s; {on.CpuSeconds:F1} CPU s; {on.PeakMb:F0} MB peak; "
                + $"scrape p50 {on.ScrapeP50:F1} ms, p99 {on.ScrapeP99:F1} ms");
        if (FaultScale.Soak)
        {
            var off = await RunLoadAsync(count, monitoring: false);
            FaultScale.Figure(
                "load, monitoring off",
                $"{count} pipelines; {off.Seconds:F1} s; {off.CpuSeconds:F1} CPU s; {off.PeakMb:F0} MB peak; -");
            FaultScale.Figure(
                "load, on / off",
                $"time {on.Seconds / off.Seconds:F2}; CPU {on.CpuSeconds / off.CpuSeconds:F2}; "
                    + $"peak memory {on.PeakMb / off.PeakMb:F2}");
        }
    }

    [Fact(Timeout = TestTimeouts.Fault)]
    public async Task ServerKilled_MidRunAndRestartedOnItsDatabase_ReadinessFailsAndRecoversAndAllComplete()
    {
        var count = FaultScale.Pick(ci: 60, soak: 300);
        var down = TimeSpan.FromSeconds(FaultScale.Pick(ci: 3, soak: 10));
        await using var worker = await WorkerProcess.StartAsync(Server.Address, Queue("server-killed"));
        var client = await Server.ConnectAsync();
        var run = new PipelineRun(client, worker.TaskQueue, "server-killed", count);
        await run.StartAsync(publishDelayMs: 1000);
        var done = await Eventually.UntilAsync(run.CompletedAsync, n => n > 0, "the first pipelines to complete");

        await Server.KillAsync();
        Assert.True(done < count, "every pipeline had completed before the kill");
        var notReady = await worker.Health.WaitForAsync("ready", 503, "readiness to fail with the server gone");
        Assert.Contains("Temporal is not reachable", notReady.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await worker.Health.GetAsync("live")).Status);

        // The outage itself, as long as the scenario says: not a wait for anything.
        await Task.Delay(down, TestContext.Current.CancellationToken);
        await Server.RestartAsync();
        await worker.Health.WaitForAsync("ready", 200, "readiness to pass again once the server is back");
        var took = await run.WaitForAllAsync(Budget(count));

        await run.AssertNoneLostOrDuplicatedAsync();
        await AssertServingAsync(worker);
        FaultScale.Figure(
            "server killed",
            $"{count} pipelines, server down {down.TotalSeconds:0} s; "
                + $"all completed {took.TotalSeconds:F1} s after the restart");
    }

    [Fact(Timeout = TestTimeouts.Fault)]
    public async Task WorkerKilled_MidRun_ANewWorkerFinishesEveryPipelineAndTakesTheDispatcherOver()
    {
        var count = FaultScale.Pick(ci: 60, soak: 300);
        var queue = Queue("worker-killed");
        var dispatcher = new Dictionary<string, string>
        {
            ["Temporal:Dispatcher:Enabled"] = "true",
            ["Temporal:Dispatcher:Id"] = "dispatcher-" + Guid.NewGuid().ToString("N"),
            ["Temporal:Dispatcher:HeartbeatInterval"] = "00:00:01",
            ["Temporal:Dispatcher:StaleAfter"] = "00:00:05",
        };
        var client = await Server.ConnectAsync();
        var run = new PipelineRun(client, queue, "worker-killed", count);
        await using (var first = await WorkerProcess.StartAsync(Server.Address, queue, settings: dispatcher))
        {
            await first.WaitForEventAsync("DispatcherAttached", "the first worker to attach to its dispatcher");
            await run.StartAsync(publishDelayMs: 1000);
            // All of them run at once, so the first completes only after a share of the rest has run: at full size on
            // a busy 2-core machine, later than the default wait (none within 30 s in one soak).
            var done = await Eventually.UntilAsync(
                run.CompletedAsync, n => n > 0, "the first pipelines to complete", Budget(count));
            await first.KillAsync();
            Assert.True(done < count, "every pipeline had completed before the kill");
        }

        await using var second = await WorkerProcess.StartAsync(Server.Address, queue, settings: dispatcher);
        await second.WaitForEventAsync("DispatcherAttached", "the new worker to take the dispatcher over");
        var took = await run.WaitForAllAsync(Budget(count) + TimeSpan.FromSeconds(60));

        await run.AssertNoneLostOrDuplicatedAsync();
        await AssertServingAsync(second);
        FaultScale.Figure(
            "worker killed",
            $"{count} pipelines; all completed {took.TotalSeconds:F1} s after the new worker attached "
                + "(activity timeouts: 5-30 s)");
    }

    [Fact(Timeout = TestTimeouts.Fault)]
    public async Task ExportDown_CollectorSilentThenClosed_PipelinesCompleteAndShutdownStaysWithinTheBound()
    {
        var count = FaultScale.Pick(ci: 40, soak: 200);
        using var silent = new SilentCollector();
        var client = await Server.ConnectAsync();
        foreach (var (name, endpoint, reason) in new[]
        {
            ("silent", silent.Endpoint, "no answer in time"),
            ("closed", $"http://127.0.0.1:{TestTools.FreePort()}", "ConnectionError"),
        })
        {
            var worker = await WorkerProcess.StartAsync(
                Server.Address,
                Queue("export-" + name),
                settings: new Dictionary<string, string>
                {
                    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
                    ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
                    ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
                });
            await using (worker)
            {
                var run = new PipelineRun(client, worker.TaskQueue, "export-" + name, count);
                await run.StartAsync();
                var took = await run.WaitForAllAsync(Budget(count));
                await run.AssertNoneLostOrDuplicatedAsync();
                await Eventually.UntilAsync(
                    () => Task.FromResult(worker.Warnings()),
                    w => w.Any(line => line.StartsWith("OtlpExportFailing", StringComparison.Ordinal)
                        && line.Contains(reason, StringComparison.Ordinal)),
                    $"a warning that export to a {name} collector fails");
                Assert.Contains("otlp", (await worker.Health.GetAsync("ready")).Body, StringComparison.Ordinal);
                await AssertServingAsync(worker);

                // The bound: the host's shutdown timeout (graceful 20 s + 5 s) and 3 s of export flush,
                // within the 30 s a container runtime gives.
                var stopped = await worker.TerminateAsync(TimeSpan.FromSeconds(30));
                FaultScale.Figure(
                    $"export down ({name})",
                    $"{count} pipelines in {took.TotalSeconds:F1} s; SIGTERM to exit {stopped.TotalSeconds:F1} s");
            }
        }
    }

    [Fact(Timeout = TestTimeouts.Fault)]
    public async Task ScrapeStorm_FiftyScrapersThroughARun_PipelinesCompleteAndEveryScrapeIsWholeAndRight()
    {
        var count = FaultScale.Pick(ci: 60, soak: 200);
        await using var worker = await WorkerProcess.StartAsync(Server.Address, Queue("scrape-storm"));
        var client = await Server.ConnectAsync();
        var run = new PipelineRun(client, worker.TaskQueue, "scrape-storm", count);
        await using var storm = new Scrapers(worker.Port, count: 50, pause: TimeSpan.Zero);

        await run.StartAsync();
        var took = await run.WaitForAllAsync(Budget(count));
        var (p50, p99, scrapes) = await storm.StopAsync();

        await run.AssertNoneLostOrDuplicatedAsync();
        // A scrape may be served from the exporter's cache of a moment ago: the count must get there.
        var closed = await Eventually.UntilAsync(
            async () => Sample(
                await worker.ScrapeAsync(),
                "watchtower_workflows_closed_total",
                $"task_queue=\"{worker.TaskQueue}\"",
                "workflow_type=\"DocumentPipeline\"",
                "outcome=\"completed\""),
            n => n >= count,
            $"the scrape to count {count} completed pipelines");
        Assert.Equal(count, closed);
        await AssertServingAsync(worker);
        FaultScale.Figure(
            "scrape storm",
            $"{count} pipelines in {took.TotalSeconds:F1} s under 50 scrapers; {scrapes} scrapes, "
                + $"p50 {p50:F1} ms, p99 {p99:F1} ms");
    }

    private static string Queue(string scenario) => $"faults-{scenario}-{Guid.NewGuid():N}";

    /// <summary>How long a batch may take on a loaded 2-core machine: generous, so only a hang fails it.</summary>
    private static TimeSpan Budget(int pipelines) => TimeSpan.FromSeconds(90 + (pipelines * 0.5));

    private static async Task AssertServingAsync(WorkerProcess worker)
    {
        Assert.False(worker.HasExited, "the worker exited");
        Assert.Contains("watchtower_workflows_started_total", await worker.ScrapeAsync(), StringComparison.Ordinal);
        Assert.Equal(200, (await worker.Health.GetAsync("live")).Status);
        Assert.Equal(200, (await worker.Health.GetAsync("ready")).Status);
    }

    /// <summary>The sum of a counter's samples whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sample(string scrape, string name, params string[] labels) =>
        scrape.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal)
                && labels.All(label => l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private async Task<LoadFigures> RunLoadAsync(int count, bool monitoring)
    {
        await using var worker = await WorkerProcess.StartAsync(
            Server.Address, Queue(monitoring ? "load-on" : "load-off"), monitoring);
        var client = await Server.ConnectAsync();
        var run = new PipelineRun(client, worker.TaskQueue, monitoring ? "load-on" : "load-off", count);
        var before = worker.Usage();
        var scraper = monitoring ? new Scrapers(worker.Port, count: 1, pause: TimeSpan.FromSeconds(1)) : null;
        await using (scraper)
        {
            await run.StartAsync();
            var took = await run.WaitForAllAsync(Budget(count));
            var after = worker.Usage();
            var (p50, p99, _) = scraper is null ? (double.NaN, double.NaN, 0) : await scraper.StopAsync();

            await run.AssertNoneLostOrDuplicatedAsync();
            if (monitoring)
            {
                await AssertServingAsync(worker);
            }

            Assert.Empty(worker.Warnings());
            return new LoadFigures(
                took.TotalSeconds,
                (after.Cpu - before.Cpu).TotalSeconds,
                after.PeakBytes / 1024.0 / 1024.0,
                p50,
                p99);
        }
    }

    private sealed record LoadFigures(
        double Seconds, double CpuSeconds, double PeakMb, double ScrapeP50, double ScrapeP99);
}
