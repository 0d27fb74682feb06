using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client.Interceptors;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;
using Watchtower.Monitoring;
using Watchtower.Worker.Hosting;
using Watchtower.Workflows.Documents;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wires the document pipeline worker into a generic host.</summary>
public static class WorkerHostBuilderExtensions
{
    /// <summary>
    /// Adds the Temporal worker for the document pipeline: validated settings, a resilient
    /// connection (or a local dev server when no address is configured), the workflows, and the
    /// activities with their dependencies.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddDocumentPipelineWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<PipelineWorkerOptions>()
            .BindConfiguration(PipelineWorkerOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PipelineWorkerOptions>, PipelineWorkerOptionsValidator>();

        // Give in-flight activities their graceful timeout, plus a margin for the worker to report results.
        // Read from configuration, not IOptions<PipelineWorkerOptions>: the host resolves HostOptions while
        // it is built, and resolving the validated options there would fail Build() instead of StartAsync().
        services.AddOptions<HostOptions>()
            .Configure<IConfiguration>((host, configuration) =>
            {
                var graceful = configuration.GetValue($"{PipelineWorkerOptions.SectionName}:{nameof(PipelineWorkerOptions.GracefulShutdownTimeout)}", TimeSpan.FromSeconds(30));
                host.ShutdownTimeout = (graceful > TimeSpan.Zero ? graceful : TimeSpan.Zero) + TimeSpan.FromSeconds(10);
            });

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDocumentIndex, InMemoryDocumentIndex>();
        services.AddSingleton(sp => ConnectionSettings.Resolve(
            sp.GetRequiredService<IOptions<PipelineWorkerOptions>>().Value, sp.GetRequiredService<IConfiguration>()));
        builder.Logging.AddTraceJsonConsole();
        services.AddTemporalMonitoring(builder.Configuration);
        services.AddTemporalWorkerHealthChecks();
        services.AddHealthChecks().AddCheck<DispatcherAttachmentHealthCheck>("dispatcher-attachment", tags: [MonitoringNames.ReadinessTag]);
        services.AddSingleton<IClientInterceptor>(sp => sp.GetRequiredService<TemporalMonitoringInterceptor>());
        services.AddSingleton(sp => CoreLogForwarder.CreateRuntime(sp.GetRequiredService<ILoggerFactory>(), sp.GetService<MetricsOptions>()));
        services.AddSingleton<LocalTemporalServer>();
        services.AddSingleton<TemporalConnection>();
        services.AddSingleton<DispatcherKeeper>();
        services.TryAddSingleton<IDispatcherHeartbeats>(sp => sp.GetRequiredService<DispatcherKeeper>());
        services.AddHostedService<ResilientWorkerService>();

        // The SDK's options builder registers workflows and DI-scoped activities without its own hosted
        // service, whose raw transport errors would stop the host.
        new TemporalWorkerServiceOptionsBuilder(ResilientWorkerService.OptionsName, services)
            .AddWorkflow<DocumentPipelineWorkflow>()
            .AddWorkflow<DocumentBatchWorkflow>()
            .AddWorkflow<DocumentDispatcherWorkflow>()
            .AddScopedActivities<DocumentActivities>();
        return builder;
    }
}
