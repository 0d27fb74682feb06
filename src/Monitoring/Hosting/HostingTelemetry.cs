using System.Diagnostics.Metrics;

namespace Watchtower.Monitoring.Hosting;

/// <summary>
/// The hosting side's one Meter, created once for the process: the monitors' gauges and the status of
/// each monitor. Hosts get it with every provider <c>AddTemporalMonitoring()</c> builds.
/// </summary>
internal static class HostingTelemetry
{
    public const string MeterName = "Watchtower.Monitoring.Hosting";

    public static readonly string Version =
        typeof(HostingTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static readonly Meter Meter = new(MeterName, Version);
}
