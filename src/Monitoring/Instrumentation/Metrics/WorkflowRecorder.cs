using System.Diagnostics;
using System.Diagnostics.Metrics;
using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Records a workflow's measurements on the thread pool rather than on the workflow's thread (see
/// <see cref="PoolQueue{T}"/>). OpenTelemetry keeps buffers for each thread that records, made by the thread's first
/// measurement (about 3 KB): recorded where they happen, a run's start and its close each paid for a new set, most of
/// what metrics cost a workflow. A reader that waits with <see cref="WaitRecorded"/> has seen all of them.
/// </summary>
internal static class WorkflowRecorder
{
    private static readonly PoolQueue<Recording> Queue = new(Record);

    /// <summary>Gets how many queued measurements wait to be recorded.</summary>
    public static long Backlog => Queue.Backlog;

    /// <summary>Waits until the measurements queued before the call are recorded; whether they all were.</summary>
    public static bool WaitRecorded(TimeSpan timeout) => Queue.WaitHandled(timeout);

    /// <summary>A run started: counted as started and in flight.</summary>
    public static void Started(MetricsInterceptor root, in RunLabels labels) =>
        Queue.Post(new(root, Kind.Started, labels, default, null, 0));

    /// <summary>A run closed: out of flight, counted by outcome, and its duration.</summary>
    public static void Closed(MetricsInterceptor root, in RunLabels labels, string outcome, double seconds) =>
        Queue.Post(new(root, Kind.Closed, labels, default, outcome, seconds));

    /// <summary>
    /// One signal, query or update, by outcome. The counter is looked up here, on the pool thread and within the
    /// reporting of failures: it is made on its first value (<see cref="OnFirstUse{T}"/>).
    /// </summary>
    public static void Counted(MetricsInterceptor root, Handler handler, in RunLabels labels, string outcome) =>
        Queue.Post(new(root, Kind.Counted, labels, handler, outcome, 0));

    private static void Record(Recording recording)
    {
        try
        {
            var tags = new TagList
            {
                { WorkerMetrics.Namespace, recording.Labels.Namespace },
                { WorkerMetrics.TaskQueue, recording.Labels.TaskQueue },
                { WorkerMetrics.WorkflowType, recording.Labels.WorkflowType },
            };
            switch (recording.Kind)
            {
                case Kind.Started:
                    WorkerMetrics.WorkflowsStarted.Add(1, tags);
                    WorkerMetrics.WorkflowsInFlight.Add(1, tags);
                    break;
                case Kind.Closed:
                    WorkerMetrics.WorkflowsInFlight.Add(-1, tags);
                    tags.Add(WorkerMetrics.Outcome, recording.Outcome);
                    WorkerMetrics.WorkflowsClosed.Add(1, tags);
                    WorkerMetrics.WorkflowDuration.Record(recording.Seconds, tags);
                    break;
                default:
                    tags.Add(WorkerMetrics.Outcome, recording.Outcome);
                    Counter(recording.Handler).Add(1, tags);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            recording.Root.ReportFailure(e);
        }
    }

    private static Counter<long> Counter(Handler handler) => handler switch
    {
        Handler.Signal => WorkerMetrics.Signals,
        Handler.Query => WorkerMetrics.Queries,
        _ => WorkerMetrics.Updates,
    };

    /// <summary>The label values every measurement of a run shares, bounded once for the run.</summary>
    internal readonly record struct RunLabels(string Namespace, string TaskQueue, string WorkflowType);

    /// <summary>What a counted measurement counts.</summary>
    internal enum Handler
    {
        Signal,
        Query,
        Update,
    }

    private enum Kind
    {
        Started,
        Closed,
        Counted,
    }

    private readonly record struct Recording(
        MetricsInterceptor Root, Kind Kind, RunLabels Labels, Handler Handler, string? Outcome, double Seconds);
}
