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

        var prefixes = Prefixes(settings);
        var display = prefixes[0].Replace("http://+:", "http://*:", StringComparison.Ordinal).TrimEnd('/');
        try
        {
            provider = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource.CreateBuilder())
                .AddMonitoringMeters(settings)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = "localhost";
                    o.Port = settings.Port;
                    o.ScrapeEndpointPath = settings.Path;

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
            Url = new Uri(display);
            status.Ready("prometheus");
            Log.ScrapeEndpointListening(logger, display);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the listener throws (port taken, address not ours, a prefix it refuses), the
            // scrape endpoint is the only casualty.
            provider = null;
            status.Report("prometheus", e, warn: false);
            Log.ScrapeEndpointFailed(logger, display, e.InnerException?.Message ?? e.Message);
        }

        // Its listener would fail for the same cause as the main one: one warning is enough.
        if (provider is not null && !string.IsNullOrEmpty(settings.SdkDashboardPath))
        {
            StartSdkDashboardEndpoint(settings, settings.SdkDashboardPath);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The SDK's metrics as Temporal's Core SDK dashboard reads them, from the Meter only they are recorded on, with
    /// Core's names: no unit suffixes (the instruments carry none) and counters without <c>_total</c> (they are
    /// up-down counters there, which the exporter leaves as they are named). On a provider and listener of their own,
    /// on the same port under another path, so the main scrape keeps its names.
    /// </summary>
    private void StartSdkDashboardEndpoint(TemporalMonitoringOptions settings, string path)
    {
        var prefixes = Prefixes(settings.Host, settings.Port, path);
        var display = prefixes[0].Replace("http://+:", "http://*:", StringComparison.Ordinal).TrimEnd('/');
        try
        {
            sdkDashboardProvider = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource.CreateBuilder())
                .AddMeter(MonitoringNames.CoreSdkMeterName)
                .AddView(_ => new() { CardinalityLimit = settings.MaxSeriesPerMetric })
                .AddPrometheusHttpListener(o =>
                {
                    o.Port = settings.Port;
                    o.ScrapeEndpointPath = path;
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
            status.Ready(SdkDashboardMonitor);
            Log.ScrapeEndpointListening(logger, display);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            sdkDashboardProvider = null;
            status.Report(SdkDashboardMonitor, e, warn: false);
            Log.ScrapeEndpointFailed(logger, display, e.InnerException?.Message ?? e.Message);
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
