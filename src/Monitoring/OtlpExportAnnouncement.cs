using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring;

/// <summary>Says once, at start, where OTLP export goes, so a user can tell it is on.</summary>
internal sealed class OtlpExportAnnouncement(ILogger<OtlpExportAnnouncement> logger, string protocol, string endpoint, string serviceName) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Log.OtlpExportEnabled(logger, protocol, endpoint, serviceName);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
