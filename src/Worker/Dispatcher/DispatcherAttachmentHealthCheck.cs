using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Dispatcher;

/// <summary>
/// Readiness of the worker's own dispatcher: degraded, never unhealthy, while it is not attached.
/// Failing readiness here would hold up a rolling deployment, whose older workers may refuse the
/// attachment until they are gone; heartbeat staleness, once attached, is the dispatchers check.
/// </summary>
internal sealed class DispatcherAttachmentHealthCheck(
    DispatcherAttachmentState attachment, IOptions<PipelineWorkerOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        var dispatcher = options.Value.Dispatcher;
        var (state, detail) = attachment.Current;
        return Task.FromResult(state switch
        {
            DispatcherAttachmentStatus.Disabled =>
                HealthCheckResult.Healthy("this worker runs no dispatcher (Temporal:Dispatcher:Enabled=false)"),
            DispatcherAttachmentStatus.Attached => HealthCheckResult.Healthy(string.Create(
                CultureInfo.InvariantCulture,
                $"{dispatcher.Id} attached, heartbeating every "
                + $"{dispatcher.HeartbeatInterval.TotalSeconds:0} s to this process")),
            DispatcherAttachmentStatus.Released =>
                HealthCheckResult.Healthy($"{dispatcher.Id} heartbeats to another worker that attached since"),
            DispatcherAttachmentStatus.Ended =>
                HealthCheckResult.Degraded($"{dispatcher.Id} ended ({detail}); restart the worker to start it again"),
            _ => HealthCheckResult.Degraded(
                $"{dispatcher.Id} not attached yet" + (detail is null ? string.Empty : ": " + detail)),
        });
    }
}
