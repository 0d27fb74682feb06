using Microsoft.Extensions.Options;
using OpenTelemetry.Resources;

namespace Watchtower.Monitoring.Hosting;

/// <summary>
/// The service every provider of a host describes, so that the scrape and the OTLP export agree on the
/// service name (<c>OTEL_SERVICE_NAME</c>, else <c>Monitoring:ServiceName</c>), its version, and one
/// instance id per host. <c>OTEL_RESOURCE_ATTRIBUTES</c> is added after it, and wins.
/// </summary>
internal sealed class MonitoringResource(IOptions<TemporalMonitoringOptions> options) : IResourceDetector
{
    private readonly string instanceId = Guid.NewGuid().ToString();

    public Resource Detect() => ResourceBuilder.CreateEmpty()
        .AddService(options.Value.ServiceName, serviceVersion: HostingTelemetry.Version, serviceInstanceId: instanceId)
        .Build();

    /// <summary>A builder for a provider this library builds itself, outside the host's OpenTelemetry.</summary>
    public ResourceBuilder CreateBuilder() =>
        ResourceBuilder.CreateDefault().AddDetector(this).AddEnvironmentVariableDetector();
}
