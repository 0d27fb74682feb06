using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.Otlp;

/// <summary>
/// Says once, at start, where OTLP export goes, so a user can tell it is on; or, when the endpoint
/// cannot be used, that it is off and why, as a monitor that cannot start does.
/// </summary>
internal sealed class OtlpExportAnnouncement(
    ILogger<OtlpExportAnnouncement> logger,
    MonitoringStatus status,
    IOptions<TemporalMonitoringOptions> options,
    string protocol,
    string endpoint) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!IsHttpUrl(endpoint))
        {
            status.Report("otlp", new ArgumentException(
                "OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http:// or https:// URL such as "
                + "http://localhost:4317; OTLP export is off."));
        }
        else
        {
            status.Ready("otlp");
            var display = Displayable(endpoint);
            Log.OtlpExportEnabled(logger, protocol, display, options.Value.ServiceName);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static bool IsHttpUrl(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>Scheme, host and port only: an endpoint may carry credentials in its user info or query.</summary>
    internal static string Displayable(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            ? $"{uri.Scheme}://{uri.Host}:{uri.Port}"
            : "(an endpoint that is not a URL)";
}
