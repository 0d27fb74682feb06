using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.Prometheus;

/// <summary>
/// Serves <c>/metrics</c> from a meter provider of its own. Built inside the host's provider, a port
/// already taken would stop the host from starting; here it costs one warning and the worker goes on.
/// </summary>
internal sealed class PrometheusScrapeEndpoint(
    IOptions<TemporalMonitoringOptions> options,
    MonitoringResource resource,
    MonitoringStatus status,
    ILogger<PrometheusScrapeEndpoint> logger) : IHostedService, IDisposable
{
    private const string SdkDashboardMonitor = "prometheus-sdk-dashboard";

    private MeterProvider? provider;
    private MeterProvider? sdkDashboardProvider;

    /// <summary>Gets the URL it listens on, once started.</summary>
    public Uri? Url { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return Task.CompletedTask;
        }

        provider = Listen("prometheus", settings, settings.Path, b => b.AddMonitoringMeters(settings), out var url);
        Url = url;

        // A scrape is one of the few large answers HttpListener sends; see ListenerNoDelay for the 40 ms it saves.
        // The other listeners on the port (the SDK dashboard's, the health endpoints) share the socket.
        if (provider is not null && !OperatingSystem.IsWindows() && ListenerNoDelay.Apply(settings.Port) is { } why)
        {
            Log.ScrapeAnswersMayWait(logger, settings.Port, why);
        }

        // The SDK's metrics as Temporal's Core SDK dashboard reads them, from the Meter only they are recorded on,
        // with Core's names: no unit suffixes (the instruments carry none) and counters without _total (they are
        // up-down counters there, which the exporter leaves as they are named). On a provider and listener of their
        // own, on the same port under another path, so the main scrape keeps its names. Its listener would fail for
        // the same cause as the main one: one warning is enough.
        if (provider is not null && settings.SdkDashboardPath is { Length: > 0 } sdkPath)
        {
            sdkDashboardProvider = Listen(
                SdkDashboardMonitor,
                settings,
                sdkPath,
                b => b.AddMeter(MonitoringNames.CoreSdkMeterName)
                    .AddView(_ => new() { CardinalityLimit = settings.MaxSeriesPerMetric }),
                out _);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A meter provider serving <paramref name="path"/> on the monitoring host and port, or null when its listener
    /// cannot start: whatever it throws (port taken, address not ours, a prefix it refuses), that endpoint is the
    /// only casualty, reported as the monitor <paramref name="monitor"/>. <paramref name="url"/> is where it listens.
    /// </summary>
    private MeterProvider? Listen(
        string monitor,
        TemporalMonitoringOptions settings,
        string path,
        Func<MeterProviderBuilder, MeterProviderBuilder> meters,
        out Uri? url)
    {
        var prefixes = Prefixes(settings.Host, settings.Port, path);
        var display = prefixes[0].Replace("http://+:", "http://*:", StringComparison.Ordinal).TrimEnd('/');
        url = null;
        try
        {
            var built = meters(Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource.CreateBuilder()))
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = "localhost";
                    o.Port = settings.Port;
                    o.ScrapeEndpointPath = path;

                    // The exporter's own prefix answers only requests addressed to "localhost", so a
                    // scrape of 127.0.0.1 would get 404; the prefixes are set from our settings instead.
                    o.ConfigureHttpListener = (_, listener) =>
                    {
                        listener.Prefixes.Clear();
                        foreach (var prefix in prefixes)
                        {
                            listener.Prefixes.Add(prefix);
                        }
                    };
                })
                .Build();
            url = new Uri(display);
            status.Ready(monitor);
            Log.ScrapeEndpointListening(logger, display);
            return built;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            status.Report(monitor, e, warn: false);
            Log.ScrapeEndpointFailed(logger, display, e.InnerException?.Message ?? e.Message);
            return null;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        provider?.Dispose();
        provider = null;
        sdkDashboardProvider?.Dispose();
        sdkDashboardProvider = null;
    }

    internal static IReadOnlyList<string> Prefixes(TemporalMonitoringOptions settings) =>
        Prefixes(settings.Host, settings.Port, settings.Path);

    /// <summary>HttpListener prefixes for the monitoring listener's host and port, under a path.</summary>
    internal static IReadOnlyList<string> Prefixes(string host, int port, string path)
    {
        path = path.TrimEnd('/') + "/";
        return host switch
        {
            "*" or "+" or "0.0.0.0" or "::" or "[::]" => [$"http://+:{port}{path}"],
            "localhost" => [$"http://localhost:{port}{path}", $"http://127.0.0.1:{port}{path}"],
            _ when host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') =>
                [$"http://[{host}]:{port}{path}"],
            _ => [$"http://{host}:{port}{path}"],
        };
    }
}
