using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring;

/// <summary>
/// Says once, at start, where OTLP export goes, so a user can tell it is on; or, when the endpoint
/// cannot be used, that it is off and why, as a monitor that cannot start does.
/// </summary>
internal sealed class OtlpExportAnnouncement(
    ILogger<OtlpExportAnnouncement> logger, MonitoringStatus status, string protocol, string endpoint, string serviceName, Exception? error) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (error is not null)
        {
            status.Report("otlp", error);
        }
        else
        {
            status.Ready("otlp");
            Log.OtlpExportEnabled(logger, protocol, endpoint, serviceName);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
