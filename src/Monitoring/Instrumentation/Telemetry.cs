using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Watchtower.Monitoring;

/// <summary>The library's one ActivitySource and one Meter, created once for the process.</summary>
internal static class Telemetry
{
    public static readonly string Version = typeof(Telemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static readonly ActivitySource Source = new(MonitoringNames.ActivitySourceName, Version);

    public static readonly Meter Meter = new(MonitoringNames.MeterName, Version);
}
