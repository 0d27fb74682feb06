using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Watchtower.Worker.Connection;

namespace Watchtower.Worker.Settings;

/// <summary>The worker's settings, validated at start-up, and what depends on them from the start.</summary>
internal static class PipelineWorkerSettingsStep
{
    public static IHostApplicationBuilder AddPipelineWorkerSettings(this IHostApplicationBuilder builder)
    {
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
                var graceful = configuration.GetValue(
                    $"{PipelineWorkerOptions.SectionName}:{nameof(PipelineWorkerOptions.GracefulShutdownTimeout)}",
                    PipelineWorkerOptions.DefaultGracefulShutdownTimeout);
                host.ShutdownTimeout =
                    (graceful > TimeSpan.Zero ? graceful : TimeSpan.Zero) + PipelineWorkerOptions.ShutdownMargin;
            });
        services.AddSingleton(sp => ConnectionSettings.Resolve(
            sp.GetRequiredService<IOptions<PipelineWorkerOptions>>().Value, sp.GetRequiredService<IConfiguration>()));
        return builder;
    }
}
