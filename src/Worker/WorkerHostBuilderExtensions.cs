using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Client.Interceptors;
using Temporalio.Extensions.Hosting;
using Watchtower.Monitoring;
using Watchtower.Worker.Connection;
using Watchtower.Worker.DevServer;
using Watchtower.Worker.Dispatcher;
using Watchtower.Worker.ResilientWorker;
using Watchtower.Worker.Settings;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wires the document pipeline worker into a generic host.</summary>
public static class WorkerHostBuilderExtensions
{
    /// <summary>
    /// Adds the Temporal worker for the document pipeline: validated settings, a resilient connection
    /// (or a local dev server when no address is configured), monitoring with its Prometheus scrape and,
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, OTLP export, the dispatcher this worker keeps, the
    /// workflows, and the activities with their dependencies.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddDocumentPipelineWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        builder.AddPipelineWorkerSettings()
            .AddTemporalMonitoring(interceptor => LeaveHeartbeatsUntraced(interceptor, configuration))
            .AddTemporalWorkerHealthChecks()
            .AddPrometheusScrapeEndpoint()
            .AddOtlpExportFromEnvironment()
            .AddDispatcherKeeping();

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDocumentIndex, InMemoryDocumentIndex>();
        services.AddSingleton<IClientInterceptor>(sp => sp.GetRequiredService<TemporalMonitoringInterceptor>());
        services.AddSingleton<LocalTemporalServer>();
        services.AddSingleton<WorkerConnection>();
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

    /// <summary>
    /// Heartbeats get no spans unless <c>Temporal:Dispatcher:TraceHeartbeats</c> says so. Read from configuration
    /// as the host's shutdown timeout is: a value that is not a boolean stops start-up through the validated
    /// options, naming the setting, and counts as off until then.
    /// </summary>
    private static void LeaveHeartbeatsUntraced(
        TemporalMonitoringInterceptorOptions interceptor, IConfiguration configuration)
    {
        var key = $"{PipelineWorkerOptions.SectionName}:{nameof(PipelineWorkerOptions.Dispatcher)}:"
            + nameof(PipelineWorkerOptions.DispatcherSettings.TraceHeartbeats);
        if (!(bool.TryParse(configuration[key], out var traced) && traced))
        {
            interceptor.UntracedActivityTypes.Add(DispatcherHeartbeatActivities.RecordHeartbeatType);
        }
    }
}
