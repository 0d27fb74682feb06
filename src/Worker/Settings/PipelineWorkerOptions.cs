
namespace Watchtower.Worker.Settings;

/// <summary>
/// Settings of the worker, bound from the <c>Temporal</c> configuration section. Connection fields
/// left empty here fall back to Temporal's own conventions: <c>TEMPORAL_*</c> environment variables and
/// the profile in <c>temporal.toml</c>, read through the SDK's client environment configuration.
/// </summary>
public sealed class PipelineWorkerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Temporal";

    /// <summary>
    /// Default time in-flight activities get on shutdown. With the host's margin (<see cref="ShutdownMargin"/>)
    /// the whole shutdown fits the common 30-second container stop period (Kubernetes' default grace period).
    /// </summary>
    public static readonly TimeSpan DefaultGracefulShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// What the host waits beyond <see cref="GracefulShutdownTimeout"/>: the worker reports the results of
    /// activities that finished, and the monitoring listeners close.
    /// </summary>
    public static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(5);

    /// <summary>Task queue used when neither <c>Temporal:TaskQueue</c> nor <c>TEMPORAL_TASK_QUEUE</c> is set.</summary>
    public const string DefaultTaskQueue = "document-pipeline";

    /// <summary>
    /// Gets or sets the server address (host:port). Empty: <c>TEMPORAL_ADDRESS</c>, the profile, or a local
    /// dev server.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>Gets or sets the namespace. Empty: <c>TEMPORAL_NAMESPACE</c>, the profile, or "default".</summary>
    public string? Namespace { get; set; }

    /// <summary>
    /// Gets or sets the API key (Temporal Cloud). Empty: <c>TEMPORAL_API_KEY</c> or the profile. Never logged.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the config profile name. Empty: <c>TEMPORAL_PROFILE</c> or "default".</summary>
    public string? Profile { get; set; }

    /// <summary>
    /// Gets or sets the task queue to poll. Empty: <c>TEMPORAL_TASK_QUEUE</c>, else <see cref="DefaultTaskQueue"/>.
    /// </summary>
    public string? TaskQueue { get; set; }

    /// <summary>
    /// Gets TLS settings; each empty field falls back to the matching <c>TEMPORAL_TLS_*</c> variable.
    /// </summary>
    public TlsSettings Tls { get; } = new();

    /// <summary>Gets or sets how long in-flight activities may run on shutdown before they are cancelled.</summary>
    public TimeSpan GracefulShutdownTimeout { get; set; } = DefaultGracefulShutdownTimeout;

    /// <summary>Gets or sets how often a running worker checks that the server still answers.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the backoff used while the server cannot be reached.</summary>
    public RetrySettings ConnectRetry { get; } = new();

    /// <summary>Gets the local dev server settings, used when no address is configured.</summary>
    public DevServerSettings DevServer { get; } = new();

    /// <summary>Gets the settings of the dispatcher this worker runs and watches.</summary>
    public DispatcherSettings Dispatcher { get; } = new();

    /// <summary>TLS settings.</summary>
    public sealed class TlsSettings
    {
        /// <summary>Gets or sets the client certificate (PEM) path for mTLS.</summary>
        public string? ClientCertPath { get; set; }

        /// <summary>Gets or sets the client private key (PEM) path for mTLS.</summary>
        public string? ClientKeyPath { get; set; }

        /// <summary>Gets or sets the CA certificate (PEM) path that signs the server's certificate.</summary>
        public string? ServerCaCertPath { get; set; }

        /// <summary>Gets or sets the server name to verify, when it differs from the address host.</summary>
        public string? ServerName { get; set; }
    }

    /// <summary>Capped exponential backoff.</summary>
    public sealed class RetrySettings
    {
        /// <summary>Gets or sets the first delay.</summary>
        public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Gets or sets the largest delay.</summary>
        public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    }

    /// <summary>
    /// The <c>DocumentDispatcher</c> workflow the worker starts (or attaches to, when it runs already),
    /// which heartbeats to a task queue that only this worker process polls.
    /// </summary>
    public sealed class DispatcherSettings
    {
        /// <summary>Gets or sets a value indicating whether the worker runs a dispatcher.</summary>
        public bool Enabled { get; set; } = true;

        /// <summary>
        /// Gets or sets the dispatcher's workflow id; also its label on the heartbeat metrics. Give each worker
        /// instance its own.
        /// </summary>
        public string Id { get; set; } = "document-dispatcher";

        /// <summary>Gets or sets the time between heartbeats (whole seconds, 1 s to 10 min).</summary>
        public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>
        /// Gets or sets the silence after which the dispatcher is stale (more than twice the interval, up to 1 h).
        /// </summary>
        public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// Gets or sets a value indicating whether heartbeats get spans. Off by default: one every interval would
        /// fill the dispatcher's trace; their metrics and the heartbeat monitor see them either way.
        /// </summary>
        public bool TraceHeartbeats { get; set; }
    }

    /// <summary>The local dev server started when no address is configured.</summary>
    public sealed class DevServerSettings
    {
        /// <summary>
        /// Gets or sets a value indicating whether a dev server may be started; false waits for one on
        /// <see cref="Port"/>.
        /// </summary>
        public bool Enabled { get; set; } = true;

        /// <summary>Gets or sets the gRPC port (the Temporal CLI's default is 7233).</summary>
        public int Port { get; set; } = 7233;

        /// <summary>Gets or sets the Web UI port (the Temporal CLI's default is 8233).</summary>
        public int UiPort { get; set; } = 8233;

        /// <summary>
        /// Gets or sets the SQLite file that keeps history across restarts. Empty: a file in the user's local data
        /// folder.
        /// </summary>
        public string? DatabaseFile { get; set; }

        /// <summary>
        /// Gets or sets the Temporal CLI binary. Empty: <c>TEMPORAL_CLI_PATH</c>, <c>temporal</c> on PATH,
        /// <c>.tools/bin/temporal</c>, or the SDK's download.
        /// </summary>
        public string? CliPath { get; set; }
    }
}
