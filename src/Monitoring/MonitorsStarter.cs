using Microsoft.Extensions.Hosting;
using Watchtower.Monitoring.Dispatchers;
using Watchtower.Monitoring.Memory;

namespace Watchtower.Monitoring;

/// <summary>Starts the monitors with the host, so they sample before anyone asks them anything.</summary>
internal sealed class MonitorsStarter(IMemoryMonitor memory, IDispatcherHeartbeatMonitor dispatchers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = (memory.IsInitialized, dispatchers.IsInitialized);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
