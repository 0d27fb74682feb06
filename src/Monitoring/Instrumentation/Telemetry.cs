using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Watchtower.Monitoring;

/// <summary>The library's one ActivitySource and one Meter, created once for the process.</summary>
internal static class Telemetry
{
    public static readonly string Version = typeof(Telemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static readonly ActivitySource Source = new(MonitoringNames.ActivitySourceName, Version);

    public static readonly Meter Meter = new(MonitoringNames.MeterName, Version);

    /// <summary>
    /// The SDK's metrics again, under Core's own names and units, for Temporal's Core SDK dashboard. A Meter of its
    /// own, not instruments on <see cref="Meter"/>: a host that subscribes to the library's Meter must not get
    /// every SDK series twice.
    /// </summary>
    public static readonly Meter CoreSdkMeter = new(MonitoringNames.CoreSdkMeterName, Version);
}
