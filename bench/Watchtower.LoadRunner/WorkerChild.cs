using System.Diagnostics;
using System.Globalization;
using Watchtower.Tests.Shared;

namespace Watchtower.LoadRunner;

/// <summary>The coordinator's handle on one measured worker process.</summary>
internal sealed class WorkerChild : IAsyncDisposable
{
    /// <summary>The runtime's setting for the youngest generation's budget, in bytes (hexadecimal).</summary>
    public const string Gen0SizeVariable = "DOTNET_GCgen0size";

    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(60);
    private readonly Process process;

    private WorkerChild(Process process, Mode mode, string taskQueue, int metricsPort)
    {
        this.process = process;
        Mode = mode;
        TaskQueue = taskQueue;
        MetricsUrl = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
        LivenessUrl = new Uri($"http://127.0.0.1:{metricsPort}/health/live");
    }

    public Mode Mode { get; }

    public string TaskQueue { get; }

    public Uri MetricsUrl { get; }

    /// <summary>Gets the liveness probe: an answer that does next to nothing, from the same process and port.</summary>
    public Uri LivenessUrl { get; }

    public static async Task<WorkerChild> StartAsync(
        string address, Mode mode, bool profile, bool sdkTaskListener, int? gen0BudgetMb)
    {
        var taskQueue = "load-" + Guid.NewGuid().ToString("N");
        var port = ListenPorts.Free();
        var self = typeof(WorkerChild).Assembly.Location;
        var info = Pinning.Start(
            Pinning.Cores?.Worker,
            Environment.ProcessPath!,
            [
                self, MeasuredWorker.ServeFlag, "--mode", mode.Name, "--address", address, "--task-queue", taskQueue,
                "--metrics-port", port.ToString(CultureInfo.InvariantCulture),
                "--profile", profile ? "true" : "false",
                "--sdk-task-listener", sdkTaskListener ? "true" : "false",
            ]);
        info.Environment["DOTNET_gcServer"] = "0";

        // The youngest generation's budget, the same for both workers: set only by --gen0-budget, never inherited
        // unseen, since it moved the collections of generation 1 of the worker with monitoring on. The runtime reads
        // both prefixes, and a cap on the budget as well.
        foreach (var inherited in (string[])[Gen0SizeVariable, "COMPlus_GCgen0size",
            "DOTNET_GCgen0MaxBudget", "COMPlus_GCgen0MaxBudget"])
        {
            info.Environment.Remove(inherited);
        }

        if (gen0BudgetMb is { } mb)
        {
            info.Environment[Gen0SizeVariable] =
                string.Create(CultureInfo.InvariantCulture, $"0x{mb * 1024L * 1024:X}");
        }

        // Idle thread-pool threads spin before they sleep; on a worker that waits on the server most of the time
        // that spinning is CPU paid per second rather than per workflow, and it moved the A/A ratio by 10 %.
        info.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        if (Environment.GetEnvironmentVariable("WATCHTOWER_PERF_MAP") == "1")
        {
            // For `perf record`: the JIT writes /tmp/perf-<pid>.map so that managed frames get names, and the code is
            // mapped once, where perf looks for it, instead of twice (one view to write, one to run).
            info.Environment["DOTNET_PerfMapEnabled"] = "1";
            info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
        var process = ChildProcesses.Start(info, "worker");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"  worker ({mode.Name}): {line}");
            }
        };
        process.BeginErrorReadLine();
        var child = new WorkerChild(process, mode, taskQueue, port);
        var ready = await child.ReadLineAsync();
        if (ready != "ready")
        {
            await child.DisposeAsync();
            throw new InvalidOperationException($"The {mode.Name} worker did not start: '{ready}'.");
        }

        return child;
    }

    /// <summary>The worker's own CPU time, bytes allocated so far, resident memory and spans ended.</summary>
    public Task<Sample> MeasureAsync() => AskAsync("measure");

    /// <summary>
    /// The same after a full compacting collection: what the worker keeps, not what it churns; with
    /// <paramref name="handBack"/>, also resident memory once the runtime and the C library handed back what they
    /// keep, and the C library's heap in use.
    /// </summary>
    public Task<Sample> SettleAsync(bool handBack) => AskAsync(handBack ? "settle-hand-back" : "settle");

    private async Task<Sample> AskAsync(string command)
    {
        await process.StandardInput.WriteLineAsync(command);
        var parts = (await ReadLineAsync()).Split(' ');
        return new Sample(
            double.Parse(parts[0], CultureInfo.InvariantCulture),
            long.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            long.Parse(parts[3], CultureInfo.InvariantCulture),
            long.Parse(parts[4], CultureInfo.InvariantCulture),
            int.Parse(parts[5], CultureInfo.InvariantCulture),
            int.Parse(parts[6], CultureInfo.InvariantCulture),
            int.Parse(parts[7], CultureInfo.InvariantCulture),
            parts.Length >= 10 ? long.Parse(parts[8], CultureInfo.InvariantCulture) : -1,
            parts.Length >= 10 ? long.Parse(parts[9], CultureInfo.InvariantCulture) : -1);
    }

    /// <summary>The types allocated most since the last call, as the runtime's allocation ticks saw them.</summary>
    public async Task<List<(long Bytes, string Type)>> ProfileAsync()
    {
        await process.StandardInput.WriteLineAsync("profile");
        var top = new List<(long, string)>();
        while (await ReadLineAsync() is var line && line != "end")
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            top.Add((long.Parse(line[..space], CultureInfo.InvariantCulture), line[(space + 1)..]));
        }

        return top;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            try
            {
                await process.StandardInput.WriteLineAsync("stop");
                using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await process.WaitForExitAsync(stopped.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        ChildProcesses.Forget(process);
        process.Dispose();
    }

    private async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(Answer);
        try
        {
            return await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"The {Mode.Name} worker exited (code {ExitCode()}).");
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The {Mode.Name} worker did not answer within {Answer.TotalSeconds} s.");
        }
    }

    private string ExitCode() => process.HasExited ? process.ExitCode.ToString(CultureInfo.InvariantCulture) : "?";

    /// <summary>
    /// One reading; after a settle that hands memory back, also resident memory then and the C library's heap in use
    /// (-1 where not asked for or where the C library cannot tell).
    /// </summary>
    public readonly record struct Sample(
        double CpuMs, long Allocated, long Resident, long Heap, long Spans, int Gen1Collections, int Gen2Collections,
        int Collections, long ResidentHandedBack = -1, long NativeInUse = -1);
}
