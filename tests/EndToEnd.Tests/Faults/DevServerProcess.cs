using System.Globalization;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;

namespace Watchtower.EndToEnd.Tests.Faults;

/// <summary>
/// A dev server of the fault suite's own, as a process the test can kill: headless, on a free loopback port,
/// with its own database file that outlives a kill, so a restart finds every workflow where it was.
/// </summary>
internal sealed class DevServerProcess : IAsyncDisposable
{
    private readonly string cli;
    private readonly string database;
    private ExternalProcess process;

    private DevServerProcess(string cli, int port, string database, ExternalProcess process)
    {
        this.cli = cli;
        this.database = database;
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public static async Task<DevServerProcess> StartAsync(string cli, string database)
    {
        var port = TestTools.FreePort();
        var server = new DevServerProcess(cli, port, database, Launch(cli, port, database));
        await server.WaitUntilServingAsync("the fault suite's dev server to serve");
        return server;
    }

    /// <summary>A client that retries across the server's absence: a kill must not fail the test's own calls.</summary>
    public Task<TemporalClient> ConnectAsync() =>
        TemporalClient.ConnectAsync(new(Address)
        {
            DataConverter = PipelineDataConverter.Instance,
            RpcRetry = new()
            {
                MaxRetries = 1000,
                MaxInterval = TimeSpan.FromSeconds(1),
                MaxElapsedTime = TimeSpan.FromMinutes(2),
            },
        });

    public Task KillAsync() => process.KillAsync();

    /// <summary>Starts it again on the same port and database, as an operator restarting it would.</summary>
    public async Task RestartAsync()
    {
        await process.DisposeAsync();
        process = Launch(cli, Port, database);
        await WaitUntilServingAsync("the dev server to serve again after the restart");
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    private static ExternalProcess Launch(string cli, int port, string database) =>
        ExternalProcess.Start(
            cli,
            [
                "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                "--port", port.ToString(CultureInfo.InvariantCulture),
                "--db-filename", database, "--log-level", "error",
            ]);

    private async Task WaitUntilServingAsync(string what)
    {
        await Eventually.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("the dev server exited: " + process.Output);
                }

                try
                {
                    var client = await TemporalClient.ConnectAsync(new(Address));
                    await client.WorkflowService.GetSystemInfoAsync(new());
                    return true;
                }
                catch (Exception e) when (e is Temporalio.Exceptions.RpcException or InvalidOperationException)
                {
                    return false;
                }
            },
            up => up,
            what,
            TimeSpan.FromSeconds(60));
    }
}
