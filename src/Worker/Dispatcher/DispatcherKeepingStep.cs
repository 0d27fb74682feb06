using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Watchtower.Monitoring.Hosting;
using Watchtower.Workflows.Dispatcher;

namespace Watchtower.Worker.Dispatcher;

/// <summary>The dispatcher this worker keeps, and the readiness check of its attachment.</summary>
internal static class DispatcherKeepingStep
{
    public static IHostApplicationBuilder AddDispatcherKeeping(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<DispatcherAttachmentState>();
        services.AddSingleton<DispatcherHeartbeatReceiver>();

        // A host may put something between the heartbeat activities and the receiver (tests hold heartbeats back).
        services.TryAddSingleton<IDispatcherHeartbeats>(sp => sp.GetRequiredService<DispatcherHeartbeatReceiver>());
        services.AddSingleton<HeartbeatQueueWorker>();
        services.AddSingleton<DispatcherAttacher>();
        services.AddSingleton<DispatcherEndWatcher>();
        services.AddSingleton<OverdueHeartbeatCheck>();
        services.AddSingleton<DispatcherKeeper>();
        services.AddHealthChecks()
            .AddCheck<DispatcherAttachmentHealthCheck>("dispatcher-attachment", tags: [MonitoringHealthTags.Ready]);
        return builder;
    }
}
