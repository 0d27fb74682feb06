using System.Diagnostics;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Lets a workflow run that starts a trace of its own choose that trace's id. The sampler sees the id
/// System.Diagnostics generates for a new root, so the id must be chosen before sampling for every
/// replay of the run, on any worker, to reach the same decision (a trace-id-ratio sampler, say).
/// </summary>
internal static class RootTraceIds
{
    private static readonly Lazy<bool> Installed = new(Install);

    [ThreadStatic]
    private static ActivityTraceId? pending;

    /// <summary>Creates (does not start) an activity that, being a root, gets <paramref name="traceId"/>.</summary>
    public static Activity? CreateRoot(
        string name, ActivityKind kind, ActivityTraceId traceId, IEnumerable<ActivityLink>? links = null)
    {
        _ = Installed.Value;
        pending = traceId;
        try
        {
            return Telemetry.Source.CreateActivity(name, kind, default(ActivityContext), links: links);
        }
        finally
        {
            pending = null;
        }
    }

    private static bool Install()
    {
        var previous = Activity.TraceIdGenerator;
        Activity.TraceIdGenerator = () => pending ?? previous?.Invoke() ?? ActivityTraceId.CreateRandom();
        return true;
    }
}
