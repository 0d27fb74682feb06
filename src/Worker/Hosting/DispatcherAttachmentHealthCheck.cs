using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Watchtower.Worker.Hosting;

/// <summary>
/// Readiness of the worker's own dispatcher: degraded, never unhealthy, while it is not attached.
/// Failing readiness here would hold up a rolling deployment, whose older workers may refuse the
/// attachment until they are gone; heartbeat staleness, once attached, is the dispatchers check.
/// </summary>
internal sealed class DispatcherAttachmentHealthCheck(DispatcherKeeper keeper, IOptions<PipelineWorkerOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var dispatcher = options.Value.Dispatcher;
        var (state, detail) = keeper.State;
        return Task.FromResult(state switch
        {
            DispatcherKeeping.Disabled => HealthCheckResult.Healthy("this worker runs no dispatcher (Temporal:Dispatcher:Enabled=false)"),
            DispatcherKeeping.Attached => HealthCheckResult.Healthy(string.Create(
                CultureInfo.InvariantCulture, $"{dispatcher.Id} attached, heartbeating every {dispatcher.HeartbeatInterval.TotalSeconds:0} s to this process")),
            DispatcherKeeping.Released => HealthCheckResult.Healthy($"{dispatcher.Id} heartbeats to another worker that attached since"),
            DispatcherKeeping.Ended => HealthCheckResult.Degraded($"{dispatcher.Id} ended ({detail}); restart the worker to start it again"),
            _ => HealthCheckResult.Degraded($"{dispatcher.Id} not attached yet" + (detail is null ? string.Empty : ": " + detail)),
        });
    }
}
