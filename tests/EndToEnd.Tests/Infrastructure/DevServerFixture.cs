using System.Globalization;
using Temporalio.Client;
using Temporalio.Testing;
using Watchtower.Workflows;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One real Temporal dev server (the official CLI, Web UI on) for every end-to-end test, on free
/// loopback ports with its own database file and its own metrics endpoint (<c>--metrics-port</c>),
/// stopped and deleted afterwards. Tests isolate themselves by task queue and workflow ids.
/// </summary>
public sealed class DevServerFixture : IAsyncLifetime
{
    /// <summary>A search attribute the server knows, for tests that put one on a run.</summary>
    public static readonly Temporalio.Common.SearchAttributeKey<string> TenantAttribute =
        Temporalio.Common.SearchAttributeKey.CreateKeyword("Tenant");

    /// <summary>
    /// Where runs get their trace id in the tests that look for it: not the default name, so that other tests'
    /// histories stay free of the upsert.
    /// </summary>
    public static readonly Temporalio.Common.SearchAttributeKey<string> TraceIdAttribute =
        Temporalio.Common.SearchAttributeKey.CreateKeyword("WatchtowerTraceId");

    private readonly string directory =
        Path.Combine(Path.GetTempPath(), "watchtower-e2e-" + Guid.NewGuid().ToString("N"));
    private WorkflowEnvironment? environment;

    public string TargetHost { get; private set; } = string.Empty;

    public int UiPort { get; private set; }

    /// <summary>
    /// Gets the port of the server's own Prometheus endpoint, <c>http://127.0.0.1:{MetricsPort}/metrics</c>.
    /// </summary>
    public int MetricsPort { get; private set; }

    public string? CliPath { get; private set; }

    public ITemporalClient Client =>
        environment?.Client ?? throw new InvalidOperationException("Dev server not started");

    public string RequireCli() => TestTools.Require(CliPath, "Temporal CLI");

    public async ValueTask InitializeAsync()
    {
        CliPath = TestTools.TemporalCli;
        if (CliPath is null || !File.Exists(CliPath))
        {
            // Each test reports the missing binary (skip locally, failure under CI).
            return;
        }

        Directory.CreateDirectory(directory);
        var port = TestTools.FreePort();
        UiPort = TestTools.FreePort();
        MetricsPort = TestTools.FreePort();
        environment = await StartServerAsync(
            CliPath,
            port,
            UiPort,
            Path.Combine(directory, "shared.sqlite"),
            MetricsPort);
        TargetHost = $"127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        if (environment is not null)
        {
            await environment.DisposeAsync();
        }

        TestTools.DeleteDirectoryBestEffort(directory);
    }

    /// <summary>
    /// Starts a dev server with our data converter; also used by tests that need a server of their own.
    /// </summary>
    public static Task<WorkflowEnvironment> StartServerAsync(
        string cli,
        int port,
        int uiPort,
        string database,
        int metricsPort = 0) =>
        WorkflowEnvironment.StartLocalAsync(new()
        {
            TargetHost = $"127.0.0.1:{port}",
            DataConverter = PipelineDataConverter.Instance,
            UI = uiPort > 0,
            UIPort = uiPort,
            SearchAttributes = [TenantAttribute, TraceIdAttribute],
            DevServerOptions = new()
            {
                ExistingPath = cli,
                DatabaseFilename = database,
                LogLevel = "error",
                StartupTimeout = TimeSpan.FromSeconds(60),

                // Without the flag the CLI picks a random port nobody could scrape. An idle poll comes back
                // empty after 10 s rather than a minute, so the SDK's empty-poll counters, which Temporal's Core
                // dashboard charts, show within a test.
                ExtraArgs = metricsPort > 0
                    ?
                    [
                        "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture),
                        "--dynamic-config-value", "matching.longPollExpirationInterval=\"10s\"",
                    ]
                    : [],
            },
        });
}
