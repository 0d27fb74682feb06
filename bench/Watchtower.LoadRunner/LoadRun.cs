using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.LoadRunner;

/// <summary>
/// End-to-end cost of monitoring: the real worker host, in a process of its own pinned to one core, against a
/// real dev server pinned to the other, running the same batch of document pipelines with two configurations
/// in paired rounds. The two rounds of a pair run over the same seconds (<c>--together false</c>: one after the
/// other, the order alternating), so that drift in the machine hits both alike. Reports each pair's ratio, the
/// median ratio with its spread, and, with monitoring on, the scrape's latency and size.
/// <c>--compare off,off</c> is the A/A run: how small a difference the method can resolve here.
/// </summary>
internal static class LoadRun
{
    public static async Task<int> MainAsync(string[] args)
    {
        var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
        var options = new Options(
            settings.GetValue("workflows", 80),
            settings.GetValue("documents", 3),
            settings.GetValue("rate", 4.0),
            settings.GetValue("concurrency", 100),
            settings.GetValue("profile", false),
            settings.GetValue("hand-back", false),
            TimeSpan.FromSeconds(settings.GetValue("scrape-interval", 15)));
        var pairs = settings.GetValue("pairs", 10);
        var compare = (settings["compare"] ?? "off,on").Split(',');
        if (compare.Length != 2)
        {
            Console.Error.WriteLine("--compare takes two modes, such as off,on or off,off.");
            return 2;
        }

        var (a, b) = (Mode.Parse(compare[0]), Mode.Parse(compare[1]));
        int? gen0BudgetMb = null;
        if (settings["gen0-budget"] is { } budget)
        {
            if (!int.TryParse(budget, NumberStyles.None, CultureInfo.InvariantCulture, out var megabytes)
                || megabytes is < 1 or > 4096)
            {
                Console.Error.WriteLine($"--gen0-budget takes whole megabytes from 1 to 4096, not '{budget}'.");
                return 2;
            }

            gen0BudgetMb = megabytes;
        }

        var cli = settings["cli"] ?? Environment.GetEnvironmentVariable("TEMPORAL_CLI_PATH") ?? FindCli();
        if (cli is null || !File.Exists(cli))
        {
            Console.Error.WriteLine(
                "Temporal CLI not found: pass --cli <path> or set TEMPORAL_CLI_PATH "
                + "(bash eng/install-tools.sh puts it in .tools/bin).");
            return 2;
        }

        Pinning.PinSelf();
        var traceIdAttribute = settings.GetValue("trace-id-attribute", false);
        await using var server = await DevServer.StartAsync(cli, traceIdAttribute);
        var client = await TemporalClient.ConnectAsync(new(server.Address)
        {
            DataConverter = PipelineDataConverter.Instance,
        });
        var together = settings.GetValue("together", true);
        Console.WriteLine(
            $"{a.Name} against {b.Name}: {pairs} pairs of {options.Workflows} pipelines of {options.Documents} "
            + $"documents, started at {options.Rate}/s"
            + (together ? ", half to each side, both sides of a pair at once" : ", one side of a pair after the other")
            + $"; {Pinning.Describe()}; {Environment.ProcessorCount} cores"
            + (traceIdAttribute ? "; TraceId search attribute registered (a traced run records its trace id)" : "")
            + (gen0BudgetMb is { } mb
                ? $"; gen0 budget of {mb} MB asked of both workers ({WorkerChild.Gen0SizeVariable})"
                : string.Empty));

        // Both workers stay up for the whole run, each on its own task queue, so that no round pays for a process
        // starting, its JIT or its first measurements; taking turns, the one not measured idles (about 1 % of a core).
        var sdkTaskListener = settings.GetValue("sdk-task-listener", true);
        await using var workerB = await WorkerChild.StartAsync(
            server.Address, b, options.Profile, sdkTaskListener, gen0BudgetMb);
        await using var workerA = await WorkerChild.StartAsync(
            server.Address, a, options.Profile, sdkTaskListener, gen0BudgetMb);

        // Warmed as fast as the server allows until tiered compilation has settled: with less than the default 300
        // each, the first pair's CPU was 15 % above the rest. Scraped meanwhile, so that what a scrape runs is
        // compiled too (WarmScrapes).
        var warming = options with { Rate = 100 };
        var warmTotal = settings.GetValue("warm", 300);
        await using (var warmScrapes = WarmScrapes.Start([workerA, workerB]))
        {
            for (var warm = 0; warm * 100 < warmTotal; warm++)
            {
                var count = Math.Min(100, warmTotal - (warm * 100));
                await ExecuteAsync(client, workerA.TaskQueue, $"warm{warm}", count, warming);
                await ExecuteAsync(client, workerB.TaskQueue, $"warm{warm}", count, warming);
            }

            Console.WriteLine($"warm-up: {warmTotal} pipelines a side; {await warmScrapes.StopAsync()}");
        }

        // A virtual machine's cores are sometimes taken by the hypervisor (steal time). A round that lost more than
        // --max-steal of a core cost up to 80 % more CPU for the same work in the A/A run, more than anything
        // measured here, so its pair is run again; at most twice as many times as there are pairs, after which
        // pairs are kept as they come and marked.
        var maxStolen = settings.GetValue("max-steal", 0.01);
        var results = new List<(Result A, Result B)>();
        var redone = 0;
        for (var attempt = 1; results.Count < pairs; attempt++)
        {
            // The order alternates over the pairs kept: which side runs first, or, together, is read first.
            var aFirst = results.Count % 2 == 0;
            var order = aFirst ? new[] { workerA, workerB } : [workerB, workerA];
            var (first, second) = together
                ? await RunTogetherAsync(client, order[0], order[1], $"pair{attempt}", options)
                : (await RunAsync(client, order[0], $"pair{attempt}", options),
                    await RunAsync(client, order[1], $"pair{attempt}", options));
            var (ra, rb) = aFirst ? (first, second) : (second, first);
            var stolen = Math.Max(ra.Stolen, rb.Stolen) > maxStolen;
            var kept = !stolen || redone >= 2 * pairs;
            var label = !kept ? "redone" : stolen ? $"pair {results.Count + 1} (kept past the limit)"
                : $"pair {results.Count + 1}";
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{label}: {a.Name} {ra} | {b.Name} {rb} | "
                + $"CPU {rb.CpuMs / ra.CpuMs:F3}, allocated {rb.Kb / ra.Kb:F3}"));
            if (kept)
            {
                results.Add((ra, rb));
            }
            else
            {
                redone++;
            }
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{redone} pair(s) run again for more than {maxStolen:P1} of a core stolen by the hypervisor"));
        Report.Pairs(a, b, results);
        if (b.Metrics)
        {
            await ScrapeLatencyAsync(client, workerB, options);
        }

        return 0;
    }

    private static async Task<Result> RunAsync(
        TemporalClient client, WorkerChild worker, string prefix, Options options)
    {
        await using var round = await Round.BeginAsync(worker, options);
        await round.StopAsync(await ExecuteAsync(client, worker.TaskQueue, prefix, options.Workflows, options));
        return await round.SettleAsync();
    }

    /// <summary>
    /// Both sides' rounds over the same seconds, each worker given its own pipelines at half the rate: whatever the
    /// machine under the virtual one does in that time (a change of speed, another guest's load), it does to both.
    /// </summary>
    private static async Task<(Result First, Result Second)> RunTogetherAsync(
        TemporalClient client, WorkerChild first, WorkerChild second, string prefix, Options options)
    {
        // Half the rate and half the pipelines in flight to each, so that the server sees the same load as when
        // the sides take turns.
        var each = options with { Rate = options.Rate / 2, Concurrency = Math.Max(1, options.Concurrency / 2) };
        await using var roundFirst = await Round.BeginAsync(first, options);
        await using var roundSecond = await Round.BeginAsync(second, options);

        // Each side is read as soon as its own pipelines are done, so that neither counts the other's tail as its
        // own idle time; and both before either settles, for the same reason.
        await Task.WhenAll(RunSideAsync(first, roundFirst), RunSideAsync(second, roundSecond));
        return (await roundFirst.SettleAsync(), await roundSecond.SettleAsync());

        async Task RunSideAsync(WorkerChild worker, Round round) =>
            await round.StopAsync(await ExecuteAsync(client, worker.TaskQueue, prefix, options.Workflows, each));
    }

    /// <summary>
    /// The scrape on its own, after the rounds: back to back on the idle worker, then every 100 ms while a load
    /// runs, with the number of series and bytes of the answer. The liveness probe is timed the same way, between
    /// the scrapes, as the floor: an answer from the same process and port, asked by the same kind of client on a
    /// connection of its own, that does next to nothing, so what it takes is what any answer takes there (the
    /// core's other work, the client's, the connection).
    /// </summary>
    private static async Task ScrapeLatencyAsync(TemporalClient client, WorkerChild worker, Options options)
    {
        using var idle = new Scrapes(worker.MetricsUrl);
        using var idleFloor = new Scrapes(worker.LivenessUrl);
        for (var i = 0; i < 200; i++)
        {
            await idle.ScrapeAsync();
            await idleFloor.ScrapeAsync();
        }

        using var loaded = new Scrapes(worker.MetricsUrl);
        using var loadedFloor = new Scrapes(worker.LivenessUrl);
        using var stop = new CancellationTokenSource();
        var interval = TimeSpan.FromMilliseconds(100);
        var scraping = loaded.EveryAsync(interval, stop.Token);
        var probing = ProbeBetweenAsync();
        await ExecuteAsync(client, worker.TaskQueue, "scraped", options.Workflows, options);
        await stop.CancelAsync();
        await scraping;
        await probing;
        Report.Scrapes(idle, loaded, idleFloor, loadedFloor);

        // Half an interval after the scrapes, so that the two never ask at the same moment.
        async Task ProbeBetweenAsync()
        {
            try
            {
                await Task.Delay(interval / 2, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await loadedFloor.EveryAsync(interval, stop.Token);
        }
    }

    /// <summary>Runs the pipelines at the fixed rate and returns the median time from start to result.</summary>
    private static async Task<double> ExecuteAsync(
        TemporalClient client, string taskQueue, string prefix, int workflows, Options options)
    {
        using var gate = new SemaphoreSlim(options.Concurrency);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var clock = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, workflows).Select(async i =>
        {
            var due = TimeSpan.FromSeconds(i / options.Rate) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, timeout.Token);
            }

            await gate.WaitAsync(timeout.Token);
            try
            {
                var input = new DocumentPipelineInput(
                    $"load-{i}",
                    [.. Enumerable.Range(1, options.Documents).Select(d => new DocumentInput(
                        $"doc-{d}", $"Invoice {d}", $"Invoice {d}. Amount due: {d * 10} EUR"))],
                    BatchSize: 1,
                    ReviewWindowSeconds: 0,
                    PublishDelayMs: 0);
                var started = Stopwatch.GetTimestamp();
                await client.ExecuteWorkflowAsync(
                    (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
                    new WorkflowOptions($"{taskQueue}-{prefix}-{i}", taskQueue)
                    {
                        Rpc = new() { CancellationToken = timeout.Token },
                    });
                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            finally
            {
                gate.Release();
            }
        }));
        return latencies.Order().ElementAt(latencies.Length / 2);
    }

    private static string? FindCli()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "bin", "temporal");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// One measured round of one worker: its readings before its load, after it (scraped as Prometheus would while
    /// it runs, when metrics are on), and once settled.
    /// </summary>
    private sealed class Round : IAsyncDisposable
    {
        private readonly WorkerChild worker;
        private readonly Options options;
        private readonly ScrapeLoop? scraping;
        private readonly WorkerChild.Sample before;
        private readonly long[] stolenBefore = StolenTime.Read();
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private WorkerChild.Sample after;
        private double stolen;
        private double latencyMs;

        private Round(WorkerChild worker, Options options, WorkerChild.Sample before)
        {
            this.worker = worker;
            this.options = options;
            this.before = before;
            scraping = worker.Mode.Metrics
                ? ScrapeLoop.Start(new Scrapes(worker.MetricsUrl), options.ScrapeInterval)
                : null;
        }

        public static async Task<Round> BeginAsync(WorkerChild worker, Options options)
        {
            if (options.Profile)
            {
                await worker.ProfileAsync();
            }

            var before = await worker.MeasureAsync();
            return new Round(worker, options, before);
        }

        /// <summary>Reads the worker once its load is done, and stops the scrapes.</summary>
        public async Task StopAsync(double latency)
        {
            latencyMs = latency;
            after = await worker.MeasureAsync();
            stolen = StolenTime.Share(stolenBefore, StolenTime.Read(), clock.Elapsed);
            if (scraping is not null)
            {
                await scraping.StopAsync();
            }
        }

        public async Task<Result> SettleAsync()
        {
            var settled = await worker.SettleAsync(options.HandBack);
            if (options.Profile)
            {
                Console.WriteLine($"  {worker.Mode.Name}: allocated most (KB per workflow, sampled every ~100 KB)");
                foreach (var (bytes, type) in await worker.ProfileAsync())
                {
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture, $"    {bytes / 1024.0 / options.Workflows,8:F1}  {type}"));
                }
            }

            return new Result(
                latencyMs,
                (after.CpuMs - before.CpuMs) / options.Workflows,
                (after.Allocated - before.Allocated) / 1024.0 / options.Workflows,
                settled.Resident / 1024.0 / 1024.0,
                settled.Heap / 1024.0 / 1024.0,
                stolen,
                (after.Spans - before.Spans) / (double)options.Workflows,
                settled.ResidentHandedBack / 1024.0 / 1024.0,
                settled.NativeInUse / 1024.0 / 1024.0,
                after.Collections - before.Collections,
                after.Gen1Collections - before.Gen1Collections,
                after.Gen2Collections - before.Gen2Collections);
        }

        /// <summary>Stops the scrapes if the round ended early (a failure), then lets go of their client.</summary>
        public async ValueTask DisposeAsync()
        {
            if (scraping is not null)
            {
                await scraping.DisposeAsync();
            }
        }
    }

    // Rate: pipelines started per second. A fixed rate below what the server can take keeps the worker's work the
    // same in every round; with as many at once as the server allowed, the rounds moved by up to 20 %.
    // HandBack: after each round's readings, memory the runtime and the C library keep is handed back and resident
    // memory read again. Off by default: the next round then takes that memory back, page faults its CPU counts.
    private sealed record Options(
        int Workflows,
        int Documents,
        double Rate,
        int Concurrency,
        bool Profile,
        bool HandBack,
        TimeSpan ScrapeInterval);
}

/// <summary>One measured round of one mode, per workflow.</summary>
/// <param name="LatencyMs">The median time from start to result.</param>
/// <param name="CpuMs">The worker's CPU time.</param>
/// <param name="Kb">The worker's allocation.</param>
/// <param name="ResidentMb">The worker's resident memory after the round, collected.</param>
/// <param name="HeapMb">The worker's managed heap after the round, collected.</param>
/// <param name="Stolen">The largest share of one core's time the hypervisor took from the machine in the round.</param>
/// <param name="Spans">The spans that ended.</param>
/// <param name="HandedBackMb">Resident memory once the runtime and the C library handed back what they kept (below
/// 0: not asked for, or unknown).</param>
/// <param name="NativeInUseMb">The C library's heap in use after the round, collected (below 0: unknown).</param>
/// <param name="Collections">The worker's collections in the round, of any generation (those that settle it after the
/// round not counted).</param>
/// <param name="Gen1">Of those, the collections of generation 1 or above, full ones included.</param>
/// <param name="Gen2">Of those, the full ones (generation 2).</param>
internal sealed record Result(
    double LatencyMs, double CpuMs, double Kb, double ResidentMb, double HeapMb, double Stolen, double Spans,
    double HandedBackMb, double NativeInUseMb, int Collections, int Gen1, int Gen2)
{
    public override string ToString()
    {
        var handedBack = HandedBackMb >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"{HandedBackMb:F0} MB handed back, ")
            : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{LatencyMs,6:F0} ms {CpuMs,6:F2} ms CPU {Kb,6:F1} KB {ResidentMb,5:F0} MB ({HeapMb:F0} MB heap, "
            + $"{Spans:F0} spans a workflow, {Collections} collections ({Gen1} of gen1 or gen2, {Gen2} of gen2), "
            + $"{handedBack}{Stolen:P1} stolen)");
    }
}
