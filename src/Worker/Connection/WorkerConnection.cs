using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Runtime;
using Watchtower.Worker.DevServer;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Connection;

/// <summary>
/// Connects to Temporal, retrying with capped exponential backoff and one log line per failed
/// attempt, instead of letting a raw transport error stop the host.
/// </summary>
internal sealed class WorkerConnection(
    ConnectionSettings settings,
    LocalTemporalServer localServer,
    IOptions<PipelineWorkerOptions> options,
    TemporalRuntime runtime,
    IEnumerable<IClientInterceptor> interceptors,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider) : IDisposable
{
    private readonly ILogger logger = loggerFactory.CreateLogger<WorkerConnection>();
    private readonly SemaphoreSlim gate = new(1, 1);
    private ITemporalClient? client;

    /// <summary>Gets the address in use, once known.</summary>
    public string? Address { get; private set; }

    /// <summary>Returns the connected client, connecting (and retrying) on first use.</summary>
    /// <param name="cancellationToken">Stops retrying.</param>
    /// <returns>The client.</returns>
    public async Task<ITemporalClient> GetClientAsync(CancellationToken cancellationToken)
    {
        if (client is { } ready)
        {
            return ready;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return client ??= await ConnectWithRetryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Opens a second connection to the server in use, on its own runtime and without interceptors:
    /// what runs on it stays out of the worker's metrics and traces.
    /// </summary>
    /// <param name="separateRuntime">The runtime of the new connection.</param>
    /// <param name="cancellationToken">Stops waiting for the connection.</param>
    /// <returns>The client.</returns>
    public async Task<ITemporalClient> ConnectSeparateAsync(
        TemporalRuntime separateRuntime,
        CancellationToken cancellationToken)
    {
        var address = Address ?? throw new InvalidOperationException("Not connected yet.");
        var connectOptions = (TemporalClientConnectOptions)settings.ConnectOptions.Clone();
        connectOptions.TargetHost = address;
        connectOptions.LoggerFactory = loggerFactory;
        connectOptions.Runtime = separateRuntime;
        connectOptions.Interceptors = [];
        return await TemporalClient.ConnectAsync(connectOptions).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => gate.Dispose();

    private async Task<ITemporalClient> ConnectWithRetryAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var address = settings.IsLocal ? localServer.Address : settings.ConnectOptions.TargetHost!;
            try
            {
                if (settings.IsLocal)
                {
                    address = await localServer.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
                }

                var connectOptions = (TemporalClientConnectOptions)settings.ConnectOptions.Clone();
                connectOptions.TargetHost = address;
                connectOptions.LoggerFactory = loggerFactory;
                connectOptions.Runtime = runtime;

                // Workers take their client's interceptors too, so monitoring covers both.
                connectOptions.Interceptors = [.. connectOptions.Interceptors ?? [], .. interceptors];

                // The SDK's connect cannot be cancelled; stop waiting for it on shutdown all the same.
                var connected = await TemporalClient.ConnectAsync(connectOptions)
                    .WaitAsync(cancellationToken)
                    .ConfigureAwait(false);
                Address = address;
                Log.Connected(logger, address, settings.Namespace);
                return connected;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var delay = Backoff.Delay(options.Value.ConnectRetry, attempt);
                Log.ConnectFailed(logger, address, attempt, Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One line about a failure: the innermost message, never a stack trace or a credential.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>The message.</returns>
    internal static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        var message = inner.Message.ReplaceLineEndings(" ");
        return inner == exception ? message : $"{exception.Message.ReplaceLineEndings(" ")} ({message})";
    }
}
