using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Temporalio.Client;
using Watchtower.Monitoring.Tracing;
using Watchtower.Workflows;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The real worker host (the same <c>AddDocumentPipelineWorker</c> as the executable) running
/// in-process on a task queue of its own, with logs captured for assertions.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    private bool stopped;

    private WorkerHarness(IHost host, string taskQueue)
    {
        Host = host;
        TaskQueue = taskQueue;
        Logs = host.Services.GetFakeLogCollector();
    }

    public IHost Host { get; }

    public string TaskQueue { get; }

    public FakeLogCollector Logs { get; }

    public static async Task<WorkerHarness> StartAsync(
        string? address,
        Action<IServiceCollection>? configureServices = null,
        IDictionary<string, string?>? settings = null,
        bool waitForPolling = true)
    {
        var taskQueue = "e2e-" + Guid.NewGuid().ToString("N");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(
            new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        var config = new Dictionary<string, string?>
        {
            ["Temporal:Address"] = address,
            ["Temporal:TaskQueue"] = taskQueue,
            ["Temporal:GracefulShutdownTimeout"] = "00:00:20",
            ["Temporal:ConnectRetry:InitialDelay"] = "00:00:00.200",
            ["Temporal:ConnectRetry:MaxDelay"] = "00:00:01",
            ["Temporal:HealthCheckInterval"] = "00:00:00.500",

            // Tests that scrape or probe choose a free port; the rest must not fight over 9464.
            ["Monitoring:Enabled"] = "false",
            ["Monitoring:Health"] = "false",

            // Tests that watch a dispatcher give it an id of their own; the rest would share one.
            ["Temporal:Dispatcher:Enabled"] = "false",

            // Keeps the SDK from reading a developer's own temporal.toml.
            ["TEMPORAL_CONFIG_FILE"] = Path.Combine(Path.GetTempPath(), "watchtower-no-such-config.toml"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        if (settings?.ContainsKey("Monitoring:Port") == true && settings?.ContainsKey("Monitoring:Health") != true)
        {
            config["Monitoring:Health"] = "true";
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Information).AddFakeLogging();
        builder.AddDocumentPipelineWorker();
        configureServices?.Invoke(builder.Services);
        var harness = new WorkerHarness(builder.Build(), taskQueue);
        try
        {
            await harness.Host.StartAsync(TestContext.Current.CancellationToken);
            if (waitForPolling)
            {
                await harness.WaitForLogAsync("WorkerPolling", "the worker to start polling", TimeSpan.FromSeconds(60));
            }

            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    public Task WaitForLogAsync(
        string eventName,
        string what,
        TimeSpan? timeout = null,
        Func<FakeLogRecord, bool>? match = null) =>
        Eventually.WaitAsync(
            () => Logs.GetSnapshot().Any(r => r.Id.Name == eventName && (match?.Invoke(r) ?? true)),
            what,
            timeout);

    public int Count(string eventName) => Logs.GetSnapshot().Count(r => r.Id.Name == eventName);

    /// <summary>Settings for a worker that runs and watches its dispatcher, heartbeating every second.</summary>
    /// <param name="id">The dispatcher's id: unique per test.</param>
    /// <param name="port">The monitoring port (metrics and health), or null for none.</param>
    /// <param name="taskQueue">The task queue, when the test picks it.</param>
    /// <returns>Settings for <see cref="StartAsync"/>.</returns>
    public static Dictionary<string, string?> DispatcherSettings(string id, int? port, string? taskQueue = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Temporal:Dispatcher:Enabled"] = "true",
            ["Temporal:Dispatcher:Id"] = id,
            ["Temporal:Dispatcher:HeartbeatInterval"] = "00:00:01",
            ["Temporal:Dispatcher:StaleAfter"] = "00:00:03",
        };
        if (port is { } p)
        {
            settings["Monitoring:Enabled"] = "true";
            settings["Monitoring:Port"] = p.ToString(CultureInfo.InvariantCulture);
        }

        if (taskQueue is not null)
        {
            settings["Temporal:TaskQueue"] = taskQueue;
        }

        return settings;
    }

    /// <summary>Start options on this worker's task queue; calls end with the test (timeout or cancel).</summary>
    public WorkflowOptions Options(string id) => new(id, TaskQueue) { Rpc = Rpc };

    /// <summary>RPC options bound to the test's cancellation, so no long poll outlives its test.</summary>
    public static RpcOptions Rpc => new() { CancellationToken = TestContext.Current.CancellationToken };

    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await Host.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();

        // Spans the last workflow tasks ended reach the exporter from the thread pool: before the tracer goes.
        TracingInterceptor.WaitForQueuedSpans(TimeSpan.FromSeconds(10));

        // The local dev server is disposed asynchronously; a synchronous Dispose would refuse it.
        if (Host is IAsyncDisposable asyncHost)
        {
            await asyncHost.DisposeAsync();
        }
        else
        {
            Host.Dispose();
        }
    }

    public static Task<TemporalClient> ConnectClientAsync(string address) =>
        TemporalClient.ConnectAsync(new(address) { DataConverter = PipelineDataConverter.Instance });
}
