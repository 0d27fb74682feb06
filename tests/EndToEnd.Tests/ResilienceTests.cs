using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// Servers of their own, started and stopped by the test, so the shared one is never disturbed. Run
/// alone: they pick free ports and reuse them after a server stops, which parallel tests could take.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class ResilienceTests : IDisposable
{
    private readonly string directory =
        Path.Combine(Path.GetTempPath(), "watchtower-resilience-" + Guid.NewGuid().ToString("N"));

    public ResilienceTests() => Directory.CreateDirectory(directory);

    public void Dispose()
    {
        TestTools.DeleteDirectoryBestEffort(directory);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Worker_ServerAbsentAtStartThenLostAndBack_RetriesAndKeepsCompletingWorkflows()
    {
        var cli = TestTools.Require(TestTools.TemporalCli, "Temporal CLI");
        var port = TestTools.FreePort();
        var address = $"127.0.0.1:{port}";
        var database = Path.Combine(directory, "history.sqlite");
        var monitoringPort = TestTools.FreePort();
        await using var worker = await WorkerHarness.StartAsync(address, settings: new Dictionary<string, string?>
        {
            ["Monitoring:Enabled"] = "true",
            ["Monitoring:Port"] = monitoringPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, waitForPolling: false);
        var health = new HealthProbe(monitoringPort);
        var lifetime = worker.Host.Services.GetRequiredService<IHostApplicationLifetime>();

        // Nothing listens yet: one warning per attempt naming the address, and the host stays up.
        await Eventually.UntilAsync(
            () => Task.FromResult(worker.Count("ConnectFailed")),
            n => n >= 3,
            "three logged connection attempts");
        var attempts = worker.Logs.GetSnapshot().Where(r => r.Id.Name == "ConnectFailed").ToList();
        Assert.All(
            attempts,
            r => Assert.Contains($"Temporal at {address} is not reachable", r.Message, StringComparison.Ordinal));
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
        Assert.Equal(200, (await health.GetAsync("live")).Status);
        Assert.Equal(503, (await health.GetAsync("startup")).Status);
        Assert.Equal(503, (await health.GetAsync("ready")).Status);

        var first = await DevServerFixture.StartServerAsync(cli, port, 0, database);
        try
        {
            await worker.WaitForLogAsync(
                "WorkerPolling",
                "the worker to connect once the server is up",
                TimeSpan.FromSeconds(60));
            await health.WaitForAsync("ready", 200, "readiness once the worker polls");
            Assert.Equal(200, (await health.GetAsync("startup")).Status);
            var result = await RunPipelineAsync(first.Client, worker);
            Assert.Equal(2, result.DocumentsPublished);
        }
        finally
        {
            await first.DisposeAsync();
        }

        // The server goes away under a polling worker, then comes back on the same port and database.
        await Eventually.WaitAsync(() => !IsListening(port), "the first server to stop listening");
        await worker.WaitForLogAsync(
            "ConnectionLost",
            "a warning that the server was lost",
            match: r => r.Message.Contains($"Lost Temporal at {address} (check 1)", StringComparison.Ordinal));
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
        var notReady = await health.WaitForAsync("ready", 503, "readiness to fail while the server is gone");
        Assert.Contains("Temporal is not reachable", notReady.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await health.GetAsync("live")).Status);
        await using var second = await DevServerFixture.StartServerAsync(cli, port, 0, database);
        await worker.WaitForLogAsync("ConnectionRestored", "a line saying the server is reachable again");
        await health.WaitForAsync("ready", 200, "readiness to pass again once the server is back");
        var again = await RunPipelineAsync(second.Client, worker);

        Assert.Equal(2, again.DocumentsPublished);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Worker_NoAddressConfigured_StartsLocalDevServerWithUiAndDatabaseAndStopsIt()
    {
        var cli = TestTools.Require(TestTools.TemporalCli, "Temporal CLI");
        var port = TestTools.FreePort();
        var uiPort = TestTools.FreePort();
        var database = Path.Combine(directory, "local.sqlite");
        var worker = await WorkerHarness.StartAsync(
            address: null,
            settings: new Dictionary<string, string?>
            {
                ["Temporal:DevServer:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Temporal:DevServer:UiPort"] = uiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Temporal:DevServer:DatabaseFile"] = database,
                ["TEMPORAL_CLI_PATH"] = cli,
            });
        try
        {
            Assert.Single(
                worker.Logs.GetSnapshot(),
                r => r.Id.Name == "DevServerStarted"
                    && r.Message.Contains($"Web UI http://localhost:{uiPort}", StringComparison.Ordinal));
            var hint = Assert.Single(worker.Logs.GetSnapshot(), r => r.Id.Name == "StartCommandHint");
            Assert.Contains(
                $"temporal workflow start --type DocumentPipeline --task-queue {worker.TaskQueue} "
                + $"--address localhost:{port} --static-summary",
                hint.Message,
                StringComparison.Ordinal);

            var client = await WorkerHarness.ConnectClientAsync($"127.0.0.1:{port}");
            var result = await RunPipelineAsync(client, worker);
            Assert.Equal(2, result.DocumentsPublished);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var page = await http.GetStringAsync(
                new Uri($"http://127.0.0.1:{uiPort}/"),
                TestContext.Current.CancellationToken);
            Assert.Contains("<html", page, StringComparison.OrdinalIgnoreCase);
            Assert.True(File.Exists(database), "the dev server keeps history in the configured database file");
        }
        finally
        {
            await worker.DisposeAsync();
        }

        await Eventually.WaitAsync(() => !IsListening(port), "the worker's dev server to stop with the host");
    }

    private static async Task<DocumentPipelineResult> RunPipelineAsync(ITemporalClient client, WorkerHarness worker)
    {
        var input = Documents.Pipeline(documents: 2);
        return await client
            .ExecuteWorkflowAsync(
                (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
                worker.Options("resilience-" + Guid.NewGuid()))
            .WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
