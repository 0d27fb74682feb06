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

    // Not a thread-static: the SDK runs each workflow task on a thread started for it, and the first thread-static
    // a thread touches makes it a table of its own. One root at a time instead; the generator hands the chosen id
    // only to the thread that set it, since it runs for every root activity of the process.
    private static readonly Lock Gate = new();
    private static ActivityTraceId pendingTraceId;
    private static int pendingThread;

    /// <summary>Creates (does not start) an activity that, being a root, gets <paramref name="traceId"/>.</summary>
    public static Activity? CreateRoot(
        string name, ActivityKind kind, ActivityTraceId traceId, IEnumerable<ActivityLink>? links = null)
    {
        _ = Installed.Value;
        lock (Gate)
        {
            pendingTraceId = traceId;
            Volatile.Write(ref pendingThread, Environment.CurrentManagedThreadId);
            try
            {
                return Telemetry.Source.CreateActivity(name, kind, default(ActivityContext), links: links);
            }
            finally
            {
                Volatile.Write(ref pendingThread, 0);
            }
        }
    }

    private static bool Install()
    {
        var previous = Activity.TraceIdGenerator;
        Activity.TraceIdGenerator = () => Volatile.Read(ref pendingThread) == Environment.CurrentManagedThreadId
            ? pendingTraceId
            : previous?.Invoke() ?? ActivityTraceId.CreateRandom();
        return true;
    }
}
