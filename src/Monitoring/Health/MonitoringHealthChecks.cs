using Microsoft.Extensions.Diagnostics.HealthChecks;
using Watchtower.Monitoring.Dispatchers;
using Watchtower.Monitoring.Memory;

namespace Watchtower.Monitoring.Health;

/// <summary>The checks behind /health/startup and /health/ready.</summary>
internal static class MonitoringHealthChecks
{
    public const string StartupTag = "startup";
    public const string ReadyTag = "ready";

    public sealed class Temporal(TemporalWorkerHealth worker) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(worker.Ready ? HealthCheckResult.Healthy(worker.Description) : HealthCheckResult.Unhealthy(worker.Description));
    }

    public sealed class Startup(TemporalWorkerHealth worker) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(worker.Started ? HealthCheckResult.Healthy("first connection made") : HealthCheckResult.Unhealthy("still connecting to Temporal"));
    }

    public sealed class Dispatchers(IDispatcherHeartbeatMonitor dispatchers) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var stale = dispatchers.List().Where(d => d.IsStale).Select(d => d.DispatcherId).ToList();
            return Task.FromResult(stale.Count == 0
                ? HealthCheckResult.Healthy($"{dispatchers.HealthyCount} dispatcher(s) heartbeating")
                : HealthCheckResult.Unhealthy("stale: " + string.Join(", ", stale)));
        }
    }

    public sealed class MemoryCheck(IMemoryMonitor memory) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(memory.State switch
            {
                MemoryState.Unhealthy => HealthCheckResult.Unhealthy("memory use is above the critical threshold"),
                MemoryState.Degraded => HealthCheckResult.Degraded("memory use is above the warning threshold"),
                _ when memory.GrowthSuspected => HealthCheckResult.Degraded("the heap has been growing across the growth window"),
                _ => HealthCheckResult.Healthy("memory use below the warning threshold"),
            });
    }

    public sealed class Monitors(MonitoringStatus status) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var degraded = status.Monitors.Where(p => p.Value is not null).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            return Task.FromResult(degraded.Count == 0
                ? HealthCheckResult.Healthy("all monitors working")
                : HealthCheckResult.Degraded("fell back to no-op: " + string.Join(", ", degraded)));
        }
    }
}
