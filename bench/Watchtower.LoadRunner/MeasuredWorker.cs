using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Hosting;

namespace Watchtower.LoadRunner;

/// <summary>
/// The measured side: the real worker host in a process of its own (started by <see cref="LoadRun"/> on its
/// own core), which answers on standard input with its own CPU time, bytes allocated, resident memory and spans
/// (and, asked to hand memory back, resident memory then and the C library's heap in use), so that what is counted
/// is the worker and nothing else.
/// </summary>
internal static class MeasuredWorker
{
    public const string ServeFlag = "--serve";

    public static async Task<int> ServeAsync(string[] args)
    {
        var settings = new ConfigurationBuilder().AddCommandLine(args.Where(a => a != ServeFlag).ToArray()).Build();
        var mode = Mode.Parse(settings["mode"] ?? "off");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Temporal:Address"] = settings["address"],
            ["Temporal:TaskQueue"] = settings["task-queue"],
            ["Monitoring:Tracing"] = mode.Tracing ? "true" : "false",
            ["Monitoring:Metrics"] = mode.Metrics ? "true" : "false",
            ["Monitoring:RuntimeMetrics"] = mode.Metrics ? "true" : "false",
            ["Monitoring:Enabled"] = mode.Metrics ? "true" : "false",
            ["Monitoring:Health"] = mode.Metrics ? "true" : "false",
            ["Monitoring:TaskQueueBacklogInterval"] = mode.Metrics ? "00:00:30" : "00:00:00",
            ["Monitoring:Port"] = settings["metrics-port"],

            // The same in both modes and not monitoring's cost: runs would otherwise share one dispatcher id.
            ["Temporal:Dispatcher:Enabled"] = "false",
            ["TEMPORAL_CONFIG_FILE"] = Path.Combine(Path.GetTempPath(), "watchtower-no-such-config.toml"),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // standard output is the protocol
        if (mode.SdkFloor)
        {
            // Registered first, so the monitoring step keeps this runtime instead of building its own.
            builder.Services.AddSingleton(sp =>
            {
                // The monitoring's own options with only the meter swapped, so that Core does the same work.
                var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
                var metrics = TemporalSdkMetrics.CreateMetricsOptions(loggerFactory);
                metrics.CustomMetricMeter = new SilentSdkMeter();
                return new TemporalRuntime(new(new TelemetryOptions
                {
                    Metrics = metrics,

                    // As the worker's own runtime does: Core would otherwise log to standard output, the protocol.
                    Logging = TemporalCoreLogs.ForwardTo(loggerFactory),
                }));
            });
        }

        builder.AddDocumentPipelineWorker();
        if (!settings.GetValue("sdk-task-listener", true))
        {
            // The SDK's check for tasks a workflow schedules off its own scheduler listens to every task event of
            // the process; --sdk-task-listener false turns it off on both sides to see what it costs.
            builder.Services.PostConfigureAll<TemporalWorkerServiceOptions>(
                o => o.DisableWorkflowTracingEventListener = true);
        }

        if (mode.HeaderFloor)
        {
            builder.Services.PostConfigureAll<TemporalWorkerServiceOptions>(
                o => o.Interceptors = [.. o.Interceptors ?? [], new HeaderFloorInterceptor()]);
        }

        if (mode.Tracing)
        {
            // Spans are batched and handed to an exporter, as with OTLP, minus the network.
            builder.Services.ConfigureOpenTelemetryTracerProvider(
                t => t.AddProcessor(new SpanCounter())
                    .AddProcessor(new BatchActivityExportProcessor(new DiscardingExporter())));
        }

        if (mode.Unsampled)
        {
            // A sampler that keeps nothing: what tracing costs before any span is recorded.
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.SetSampler(new AlwaysOffSampler()));
        }

        using var sampler = settings.GetValue("profile", false) ? new AllocationSampler() : null;
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine("ready");
        while (Console.ReadLine() is { } command)
        {
            switch (command)
            {
                case "measure":
                    Console.WriteLine(Measure());
                    break;
                case "settle":
                    Console.WriteLine(Settle());
                    break;
                case "settle-hand-back":
                    Console.WriteLine(SettleAndHandBack());
                    break;
                case "profile" when sampler is not null:
                    foreach (var (type, bytes) in sampler.Top(20))
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bytes} {type}"));
                    }

                    sampler.Clear();
                    Console.WriteLine("end");
                    break;
                case "stop":
                    await host.StopAsync();
                    return 0;
                default:
                    Console.WriteLine("end");
                    break;
            }
        }

        await host.StopAsync();
        return 0;
    }

    private static string Measure()
    {
        using var process = Process.GetCurrentProcess();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{process.TotalProcessorTime.TotalMilliseconds} {GC.GetTotalAllocatedBytes(precise: true)} "
            + $"{process.WorkingSet64} {GC.GetGCMemoryInfo().HeapSizeBytes} {Interlocked.Read(ref SpanCounter.Ended)} "
            + $"{GC.CollectionCount(1)} {GC.CollectionCount(2)} {GC.CollectionCount(0)}");
    }

    /// <summary>
    /// Resident memory once the garbage of the run is collected: read between collections, it moved by the size of
    /// the youngest generation's budget, more than monitoring's own memory.
    /// </summary>
    private static string Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return Measure();
    }

    /// <summary>
    /// <see cref="Settle"/>, then what the runtime and the C library keep of memory freed handed back: two identical
    /// workers held up to 29 MB apart in resident memory, which hid any 10 MB difference. The garbage collector keeps
    /// emptied regions committed unless asked aggressively, and glibc keeps freed blocks in per-thread arenas (the
    /// SDK's Core allocates there), so the two sides then compare on what they use rather than what they keep.
    /// </summary>
    private static string SettleAndHandBack()
    {
        var collected = Settle();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var (resident, nativeInUse) = NativeHeap.TrimAndMeasure();
        return string.Create(CultureInfo.InvariantCulture, $"{collected} {resident} {nativeInUse}");
    }

    private sealed class DiscardingExporter : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }

    /// <summary>Counts the spans that end, so that their cost can be given per span.</summary>
    private sealed class SpanCounter : BaseProcessor<Activity>
    {
        public static long Ended;

        public override void OnEnd(Activity data) => Interlocked.Increment(ref Ended);
    }
}

/// <summary>
/// What the measured worker runs with: monitoring off, all of it on, or one half; as <c>traces-unsampled</c>,
/// tracing with a sampler that keeps nothing; as <c>sdk-floor</c>, monitoring off but the SDK's metrics handed
/// to a meter that keeps nothing; or, as <c>metrics-sdk-floor</c>, metrics on with the SDK's handed to that meter,
/// which leaves the interceptors' own; or, as <c>header-floor</c>, monitoring off but a trace header carried on
/// every call (<see cref="HeaderFloorInterceptor"/>); or, as <c>floor</c>, those two floors together: what
/// monitoring that carries a trace context and takes the SDK's metrics into a .NET Meter pays before it records
/// anything, with the header carried the cheapest way the SDK's interceptors allow.
/// </summary>
internal readonly record struct Mode(
    string Name, bool Tracing, bool Metrics, bool SdkFloor = false, bool Unsampled = false, bool HeaderFloor = false)
{
    public static Mode Parse(string name) => name switch
    {
        "off" => new(name, false, false),
        "on" => new(name, true, true),
        "traces" => new(name, true, false),
        "metrics" => new(name, false, true),
        "traces-unsampled" => new(name, true, false, Unsampled: true),
        "sdk-floor" => new(name, false, false, SdkFloor: true),
        "metrics-sdk-floor" => new(name, false, true, SdkFloor: true),
        "header-floor" => new(name, false, false, HeaderFloor: true),
        "floor" => new(name, false, false, SdkFloor: true, HeaderFloor: true),
        _ => throw new ArgumentException(
            $"--compare: unknown mode '{name}' (off, on, traces, traces-unsampled, metrics, sdk-floor, "
            + "metrics-sdk-floor, header-floor, floor)"),
    };
}
