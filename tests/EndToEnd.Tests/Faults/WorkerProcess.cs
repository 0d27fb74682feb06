using System.Globalization;
using System.Text.Json;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests.Faults;

/// <summary>
/// The built worker as its own process, as a user runs it: settings by environment, JSON log lines on
/// standard output, <c>/metrics</c> and <c>/health</c> on a port of its own.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly List<JsonElement> lines = [];
    private ExternalProcess? process;

    private WorkerProcess(string taskQueue, int port)
    {
        TaskQueue = taskQueue;
        Port = port;
    }

    public string TaskQueue { get; }

    public int Port { get; }

    public HealthProbe Health => new(Port);

    public bool HasExited => Process.HasExited;

    private ExternalProcess Process => process ?? throw new InvalidOperationException("not started");

    /// <summary>
    /// Starts a worker; <paramref name="settings"/> are configuration keys (<c>Temporal:Address</c>).
    /// </summary>
    public static async Task<WorkerProcess> StartAsync(
        string address,
        string taskQueue,
        bool monitoring = true,
        IReadOnlyDictionary<string, string>? settings = null,
        bool waitForPolling = true)
    {
        var port = TestTools.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["Temporal:Address"] = address,
            ["Temporal:TaskQueue"] = taskQueue,
            ["Temporal:HealthCheckInterval"] = "00:00:01",
            ["Temporal:ConnectRetry:InitialDelay"] = "00:00:00.200",
            ["Temporal:ConnectRetry:MaxDelay"] = "00:00:01",
            ["Temporal:Dispatcher:Enabled"] = "false",
            ["Monitoring:Host"] = "127.0.0.1",
            ["Monitoring:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Monitoring:Enabled"] = monitoring ? "true" : "false",
            ["Monitoring:Tracing"] = monitoring ? "true" : "false",
            ["Monitoring:Metrics"] = monitoring ? "true" : "false",
            ["Monitoring:RuntimeMetrics"] = monitoring ? "true" : "false",
            ["TEMPORAL_CONFIG_FILE"] = Path.Combine(Path.GetTempPath(), "watchtower-no-such-config.toml"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var worker = new WorkerProcess(taskQueue, port);
        worker.process = ExternalProcess.Start(
            Path.Combine(AppContext.BaseDirectory, "Watchtower.Worker"),
            [],
            info =>
            {
                foreach (var (key, value) in environment)
                {
                    info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
                }
            },
            worker.Parse);
        if (waitForPolling)
        {
            await worker.WaitForEventAsync("WorkerPolling", "the worker process to poll", TimeSpan.FromSeconds(60));
        }

        return worker;
    }

    /// <summary>Every JSON log line so far; anything else the process printed is left out.</summary>
    public IReadOnlyList<JsonElement> LogLines()
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    public IReadOnlyList<string> Warnings() =>
        [.. LogLines()
            .Where(l => l.GetProperty("level").GetString() is "Warning" or "Error" or "Critical")
            .Select(l => $"{Event(l)}: {l.GetProperty("message").GetString()}")];

    public Task WaitForEventAsync(string eventName, string what, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            () =>
            {
                if (Process.HasExited)
                {
                    var output = Process.Output;
                    throw new InvalidOperationException(
                        $"the worker exited while waiting for {what}: " + output[Math.Max(0, output.Length - 4000)..]);
                }

                return Task.FromResult(LogLines().Any(l => Event(l) == eventName));
            },
            seen => seen,
            what,
            timeout);

    public (TimeSpan Cpu, long PeakBytes) Usage() => Process.Usage();

    public Task KillAsync() => Process.KillAsync();

    public Task<TimeSpan> TerminateAsync(TimeSpan limit) => Process.TerminateAsync(limit);

    public Task<string> ScrapeAsync() => TestTools.ScrapeAsync(Port);

    public ValueTask DisposeAsync() => process?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Parses each JSON log line once, as it comes; a line cut by a kill is left out.</summary>
    private void Parse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return;
        }

        try
        {
            using var json = JsonDocument.Parse(line);
            var element = json.RootElement.Clone();
            lock (lines)
            {
                lines.Add(element);
            }
        }
        catch (JsonException)
        {
            // Not a whole JSON line.
        }
    }

    private static string? Event(JsonElement line) =>
        line.TryGetProperty("event", out var name) ? name.GetString() : null;
}
