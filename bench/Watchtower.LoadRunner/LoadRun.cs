using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Temporalio.Client;
using Temporalio.Testing;
using Watchtower.Monitoring;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.LoadRunner;

/// <summary>
/// End-to-end load: the real worker host against a real dev server on loopback, running the same
/// batch of document pipelines with monitoring off and on, in alternating rounds so that drift in
/// the machine hits both alike. Reports throughput, CPU and allocation per workflow, and the ratios.
/// </summary>
internal static class LoadRun
{
    public static async Task<int> MainAsync(string[] args)
    {
        var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
        var workflows = settings.GetValue("workflows", 200);
        var documents = settings.GetValue("documents", 3);
        var rounds = settings.GetValue("rounds", 3);
        var concurrency = settings.GetValue("concurrency", 20);
        var tracing = settings.GetValue("tracing", true);
        var metrics = settings.GetValue("metrics", true);
        var profile = settings.GetValue("profile", false);
        var cli = settings["cli"] ?? Environment.GetEnvironmentVariable("TEMPORAL_CLI_PATH") ?? FindCli();
        if (cli is null || !File.Exists(cli))
        {
            Console.Error.WriteLine(
                "Temporal CLI not found: pass --cli <path> or set TEMPORAL_CLI_PATH "
                + "(bash eng/install-tools.sh puts it in .tools/bin).");
            return 2;
        }

        var port = FreePort();
        Console.WriteLine(
            $"Dev server on 127.0.0.1:{port}; {workflows} pipelines of {documents} documents per run, "
            + $"{concurrency} at a time, {rounds} rounds");
        await using var server = await WorkflowEnvironment.StartLocalAsync(new()
        {
            TargetHost = $"127.0.0.1:{port}",
            DataConverter = PipelineDataConverter.Instance,
            DevServerOptions = new() { ExistingPath = cli, LogLevel = "error" },
        });

        var results = new List<Result>();
        await RunAsync(
            server.Client.Connection.Options.TargetHost!,
            monitored: false,
            tracing,
            metrics,
            workflows: concurrency,
            documents,
            concurrency); // warm-up
        await RunAsync(
            server.Client.Connection.Options.TargetHost!,
            monitored: true,
            tracing,
            metrics,
            workflows: concurrency,
            documents,
            concurrency);
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var monitored in new[] { false, true })
            {
                using var sampler = profile ? new AllocationSampler() : null;
                var result = await RunAsync(
                    server.Client.Connection.Options.TargetHost!,
                    monitored,
                    tracing,
                    metrics,
                    workflows,
                    documents,
                    concurrency);
                if (sampler is not null)
                {
                    foreach (var (type, bytes) in sampler.Top(15))
                    {
                        Console.WriteLine(string.Create(
                            CultureInfo.InvariantCulture,
                            $"    {bytes / 1024.0 / workflows,8:F1} KB/workflow  {type}"));
                    }
                }

                results.Add(result);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"round {round} {(monitored ? "monitoring on " : "monitoring off")}: "
                    + $"{result.PerSecond,7:F1} workflows/s, {result.CpuMsPerWorkflow,6:F2} ms CPU/workflow, "
                    + $"{result.KbPerWorkflow,7:F1} KB allocated/workflow"));
            }
        }

        var off = Median(results.Where(r => !r.Monitored));
        var on = Median(results.Where(r => r.Monitored));
        Console.WriteLine();
        Console.WriteLine("| | monitoring off | monitoring on | on / off |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| throughput (workflows/s) | {off.PerSecond:F1} | {on.PerSecond:F1} | "
            + $"{on.PerSecond / off.PerSecond:F2} |"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| worker CPU per workflow (ms) | {off.CpuMsPerWorkflow:F2} | {on.CpuMsPerWorkflow:F2} | "
            + $"{on.CpuMsPerWorkflow / off.CpuMsPerWorkflow:F2} |"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| allocated per workflow (KB) | {off.KbPerWorkflow:F1} | {on.KbPerWorkflow:F1} | "
            + $"{on.KbPerWorkflow / off.KbPerWorkflow:F2} |"));
        return 0;
    }

    private static async Task<Result> RunAsync(
        string address,
        bool monitored,
        bool tracing,
        bool metrics,
        int workflows,
        int documents,
        int concurrency)
    {
        var taskQueue = "load-" + Guid.NewGuid().ToString("N");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Temporal:Address"] = address,
            ["Temporal:TaskQueue"] = taskQueue,
            ["Monitoring:Tracing"] = monitored && tracing ? "true" : "false",
            ["Monitoring:Metrics"] = monitored && metrics ? "true" : "false",
            ["Monitoring:RuntimeMetrics"] = monitored && metrics ? "true" : "false",
            ["Monitoring:Enabled"] = monitored && metrics ? "true" : "false",
            ["Monitoring:Port"] = FreePort().ToString(CultureInfo.InvariantCulture),

            // The same in both modes and not monitoring's cost: runs would otherwise share one dispatcher id.
            ["Temporal:Dispatcher:Enabled"] = "false",
            ["TEMPORAL_CONFIG_FILE"] = Path.Combine(Path.GetTempPath(), "watchtower-no-such-config.toml"),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddConsole();
        builder.AddDocumentPipelineWorker();
        if (monitored && tracing)
        {
            // Spans are batched and handed to an exporter, as with OTLP, minus the network.
            builder.Services.ConfigureOpenTelemetryTracerProvider(
                t => t.AddProcessor(new BatchActivityExportProcessor(new DiscardingExporter())));
        }

        using var host = builder.Build();
        await host.StartAsync();
        var client = await TemporalClient.ConnectAsync(new(address)
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors = monitored ? [host.Services.GetRequiredService<TemporalMonitoringInterceptor>()] : null,
        });

        // A first batch on this host is not measured: the meter provider sizes each metric's storage on
        // its first measurement, and JIT and caches warm up; what is left is the steady state.
        await ExecuteAsync(client, taskQueue, "warm", concurrency, documents, concurrency);

        GC.Collect();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await ExecuteAsync(client, taskQueue, "run", workflows, documents, concurrency);
        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await host.StopAsync();
        return new Result(
            monitored,
            workflows / clock.Elapsed.TotalSeconds,
            cpu.TotalMilliseconds / workflows,
            allocated / 1024.0 / workflows);
    }

    private static async Task ExecuteAsync(
        TemporalClient client,
        string taskQueue,
        string prefix,
        int workflows,
        int documents,
        int concurrency)
    {
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(Enumerable.Range(0, workflows).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var input = new DocumentPipelineInput(
                    $"load-{i}",
                    [.. Enumerable.Range(1, documents).Select(d => new DocumentInput(
                        $"doc-{d}", $"Invoice {d}", $"Invoice {d}. Amount due: {d * 10} EUR"))],
                    BatchSize: 1,
                    ReviewWindowSeconds: 0,
                    PublishDelayMs: 0);
                await client.ExecuteWorkflowAsync(
                    (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
                    new WorkflowOptions($"{taskQueue}-{prefix}-{i}", taskQueue));
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private static Result Median(IEnumerable<Result> results)
    {
        var list = results.ToList();
        static double Mid(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted[sorted.Count / 2];
        }

        return new Result(
            list[0].Monitored,
            Mid(list.Select(r => r.PerSecond)),
            Mid(list.Select(r => r.CpuMsPerWorkflow)),
            Mid(list.Select(r => r.KbPerWorkflow)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

    private sealed record Result(bool Monitored, double PerSecond, double CpuMsPerWorkflow, double KbPerWorkflow);

    private sealed class DiscardingExporter : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }
}
