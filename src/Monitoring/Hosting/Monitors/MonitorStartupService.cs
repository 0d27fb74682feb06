using Microsoft.Extensions.Hosting;

namespace Watchtower.Monitoring.Hosting.Monitors;

/// <summary>
/// Resolves a monitor when the host starts, so that it starts (or falls back) and samples before
/// anyone asks it anything, and says at start-up rather than later if it cannot.
/// </summary>
/// <typeparam name="TMonitor">The monitor's service type.</typeparam>
internal sealed class MonitorStartupService<TMonitor>(TMonitor monitor) : IHostedService
    where TMonitor : class
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(monitor);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
