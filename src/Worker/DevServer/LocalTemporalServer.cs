using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Runtime;
using Temporalio.Testing;
using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.DevServer;

/// <summary>
/// Used when no address is configured: reuses a server already listening on the dev server port,
/// otherwise starts the Temporal CLI's dev server (Web UI included, history kept in a SQLite file)
/// and stops it when the host is disposed.
/// </summary>
internal sealed class LocalTemporalServer(
    IOptions<PipelineWorkerOptions> options,
    ConnectionSettings settings,
    TemporalRuntime runtime,
    IOptions<Watchtower.Monitoring.Hosting.TemporalMonitoringOptions> monitoring,
    ILogger<LocalTemporalServer> logger) : IAsyncDisposable
{
    private WorkflowEnvironment? environment;
    private bool announcedExisting;

    /// <summary>Gets the address the local server listens on.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"localhost:{options.Value.DevServer.Port}");

    /// <summary>Gets the Web UI address, when this process started the server.</summary>
    public string UiUrl =>
        string.Create(CultureInfo.InvariantCulture, $"http://localhost:{options.Value.DevServer.UiPort}");

    /// <summary>
    /// Makes sure a server listens on <see cref="Address"/>: the one already there, else a dev server
    /// of this process, started again if it stopped answering.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The address to connect to.</returns>
    public async Task<string> EnsureStartedAsync(CancellationToken cancellationToken)
    {
        var devServer = options.Value.DevServer;
        if (await IsListeningAsync(devServer.Port, cancellationToken).ConfigureAwait(false))
        {
            if (environment is null && !announcedExisting)
            {
                announcedExisting = true;
                Log.UsingExistingLocalServer(logger, Address);
            }

            return Address;
        }

        if (environment is not null)
        {
            Log.DevServerRestarting(logger);
            await DisposeAsync().ConfigureAwait(false);
        }

        if (!devServer.Enabled)
        {
            throw new InvalidOperationException(
                $"nothing listens on {Address} and Temporal:DevServer:Enabled is false; "
                + "start one with 'temporal server start-dev' or set TEMPORAL_ADDRESS");
        }

        var cli = TemporalCliLocator.Locate(
            settings.CliPath,
            Environment.GetEnvironmentVariable("PATH"),
            [Environment.CurrentDirectory, AppContext.BaseDirectory]);
        if (cli is null)
        {
            Log.CliNotFound(logger);
        }

        var database = devServer.DatabaseFile ?? DefaultDatabaseFile();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(database))!);
        Log.StartingDevServer(logger, cli ?? "(download)", database);
        var starting = WorkflowEnvironment.StartLocalAsync(new()
        {
            TargetHost = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{devServer.Port}"),
            Namespace = settings.Namespace,
            Runtime = runtime,
            UI = true,
            UIPort = devServer.UiPort,
            SearchAttributes = monitoring.Value.TraceIdSearchAttribute is { Length: > 0 } traceId
                ? [Temporalio.Common.SearchAttributeKey.CreateKeyword(traceId)]
                : null,
            DevServerOptions = new()
            {
                ExistingPath = cli,
                DatabaseFilename = database,
                LogLevel = "error",
            },
        });
        try
        {
            // Starting cannot be cancelled; on shutdown stop waiting, and stop the server once it is up.
            environment = await starting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = starting.ContinueWith(
                started => started.Result.DisposeAsync().AsTask(),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion,
                TaskScheduler.Default);
            throw;
        }

        Log.DevServerStarted(logger, Address, UiUrl);
        return Address;
    }

    public async ValueTask DisposeAsync()
    {
        if (environment is not null)
        {
            Log.StoppingDevServer(logger);
            await environment.DisposeAsync().ConfigureAwait(false);
            environment = null;
        }
    }

    private static string DefaultDatabaseFile() =>
        Path.Combine(
            Environment.GetFolderPath(
                Environment.SpecialFolder.LocalApplicationData,
                Environment.SpecialFolderOption.Create),
            "temporal-document-pipeline",
            "dev-server.sqlite");

    private static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException
            && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
