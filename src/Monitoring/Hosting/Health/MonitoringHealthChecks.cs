using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;
using Watchtower.Monitoring.Hosting.Memory;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.Health;

/// <summary>The checks behind /health/startup and /health/ready.</summary>
internal static class MonitoringHealthChecks
{
    public const string StartupTag = MonitoringHealthTags.Startup;
    public const string ReadyTag = MonitoringHealthTags.Ready;

    public sealed class Temporal(TemporalWorkerHealth worker) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(
            HealthCheckContext context,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(worker.Ready
                ? HealthCheckResult.Healthy(worker.Description)
                : HealthCheckResult.Unhealthy(worker.Description));
    }

    public sealed class Startup(TemporalWorkerHealth worker) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(
            HealthCheckContext context,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(worker.Started
                ? HealthCheckResult.Healthy("first connection made")
                : HealthCheckResult.Unhealthy("still connecting to Temporal"));
    }

    public sealed class Dispatchers(
        IDispatcherHeartbeatMonitor dispatchers,
        IOptions<DispatcherMonitorOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(
            HealthCheckContext context,
            CancellationToken cancellationToken = default)
        {
            var all = dispatchers.List();
            var stale = all.Where(d => d.IsStale).ToList();
            if (stale.Count == 0)
            {
                return Task.FromResult(HealthCheckResult.Healthy(all.Count == 0
                    ? "no dispatcher registered"
                    : $"{all.Count} dispatcher(s) heartbeating: {string.Join(", ", all.Select(d => d.DispatcherId))}"));
            }

            var description = "stale: " + string.Join(", ", stale.Select(d => string.Create(
                CultureInfo.InvariantCulture,
                $"{d.DispatcherId} (silent for {d.SinceLastHeartbeat.TotalSeconds:0} s, "
                + $"allowed {d.StaleAfter.TotalSeconds:0} s)")));

            // Only a working monitor has dispatchers, so its options bound cleanly.
            return Task.FromResult(options.Value.StaleFailsReadiness
                ? HealthCheckResult.Unhealthy(description)
                : HealthCheckResult.Degraded(description));
        }
    }

    public sealed class MemoryCheck(IMemoryMonitor memory) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(
            HealthCheckContext context,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(memory.State switch
            {
                MemoryState.Unhealthy => HealthCheckResult.Unhealthy("memory use is above the critical threshold"),
                MemoryState.Degraded => HealthCheckResult.Degraded("memory use is above the warning threshold"),
                _ when memory.GrowthSuspected =>
                    HealthCheckResult.Degraded("the heap has been growing across the growth window"),
                _ => HealthCheckResult.Healthy("memory use below the warning threshold"),
            });
    }

    public sealed class Monitors(MonitoringStatus status) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(
            HealthCheckContext context,
            CancellationToken cancellationToken = default)
        {
            var degraded = status.Monitors
                .Where(p => p.Value is not null)
                .Select(p => p.Key)
                .Order(StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(degraded.Count == 0
                ? HealthCheckResult.Healthy("all monitors working")
                : HealthCheckResult.Degraded("not working: " + string.Join(", ", degraded)));
        }
    }
}
