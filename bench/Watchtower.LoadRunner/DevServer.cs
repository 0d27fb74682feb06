using System.Diagnostics;
using System.Globalization;
using Temporalio.Client;
using Watchtower.Tests.Shared;

namespace Watchtower.LoadRunner;

/// <summary>
/// A headless dev server on its own core and a free loopback port, in memory: a database file would make the
/// server wait on the disk's flushes, and the rounds would measure the disk. With <c>traceIdAttribute</c>, it
/// registers the <c>TraceId</c> Keyword search attribute, as the worker's own dev server and <c>task dev</c> do:
/// a run that starts a trace then records its trace id there (a patch marker and upserts), which it does not on a
/// server without it.
/// </summary>
internal sealed class DevServer : IAsyncDisposable
{
    private readonly Process process;

    private DevServer(Process process, string address)
    {
        this.process = process;
        Address = address;
    }

    public string Address { get; }

    public static async Task<DevServer> StartAsync(string cli, bool traceIdAttribute)
    {
        var port = ListenPorts.Free();
        string[] arguments =
        [
            "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--log-level", "error",
        ];
        var info = Pinning.Start(
            Pinning.Cores?.Server,
            cli,
            traceIdAttribute ? [.. arguments, "--search-attribute", "TraceId=Keyword"] : arguments);
        var process = ChildProcesses.Start(info, "dev server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new DevServer(process, $"127.0.0.1:{port}");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var client = await TemporalClient.ConnectAsync(new(server.Address));
                await client.Connection.WorkflowService.GetSystemInfoAsync(new());
                return server;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(200);
            }
            catch (Exception e)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException(
                    $"The dev server on {server.Address} did not answer within 60 s: {e.Message}", e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        ChildProcesses.Forget(process);
        process.Dispose();
    }
}
