using OpenTelemetry.Resources;

namespace Watchtower.Monitoring;

/// <summary>The resource (service name and version) shared by every provider the library builds.</summary>
internal sealed record MonitoringResource(ResourceBuilder Builder);
