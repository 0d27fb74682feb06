using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring.Hosting.Monitors;

/// <summary>
/// Which monitors are working. Each monitor starts on its own: one that throws while starting is
/// replaced by its no-op stand-in, said once in a warning, and shown here (and on the
/// <c>watchtower.monitoring.status</c> gauge) as degraded, while the worker carries on.
/// </summary>
internal sealed class MonitoringStatus : IDisposable
{
    private static readonly Lazy<bool> Gauge = new(() =>
    {
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.monitoring.status",
            static () => GaugeSources<MonitoringStatus>.All.SelectMany(s => s.monitors).Select(p =>
                new Measurement<int>(p.Value is null ? 1 : 0, new KeyValuePair<string, object?>("monitor", p.Key))),
            "{status}",
            "1 for each monitor that works, 0 for one that fell back to a no-op.");
        return true;
    });

    private readonly ConcurrentDictionary<string, Exception?> monitors = new(StringComparer.Ordinal);
    private readonly ILogger logger;

    public MonitoringStatus(ILogger<MonitoringStatus> logger)
    {
        this.logger = logger;
        _ = Gauge.Value;
        GaugeSources<MonitoringStatus>.Join(this);
    }

    /// <summary>Gets each monitor by name, with why it fell back (null when it works).</summary>
    public IReadOnlyDictionary<string, Exception?> Monitors => monitors;

    /// <summary>Starts a monitor, or its stand-in when starting throws.</summary>
    public T Start<T>(string name, Func<T> start, Func<Exception, T> fallback)
    {
        try
        {
            var monitor = start();
            monitors[name] = null;
            return monitor;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Report(name, e);
            return fallback(e);
        }
    }

    /// <summary>Records a monitor that fell back, with one warning unless the monitor gave its own.</summary>
    public void Report(string name, Exception error, bool warn = true)
    {
        monitors[name] = error;
        if (warn)
        {
            Log.MonitorFellBack(logger, name, error.Message);
        }
    }

    public void Ready(string name) => monitors[name] = null;

    /// <summary>
    /// Records a monitor that worked and then failed, and stepped down to doing nothing; says so once.
    /// </summary>
    public void Failed(string name, Exception error)
    {
        monitors[name] = error;
        Log.MonitorFailed(logger, name, error.GetType().Name, error.Message);
    }

    public void Dispose() => GaugeSources<MonitoringStatus>.Leave(this);
}
