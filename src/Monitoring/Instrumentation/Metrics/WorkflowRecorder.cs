using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Records a workflow's measurements on the thread pool rather than on the workflow's thread. The SDK runs each
/// workflow activation on a thread started for it, and OpenTelemetry keeps buffers for each thread that records,
/// made by the thread's first measurement (about 3 KB): recorded where they happen, a run's start and its close each
/// paid for a new set, most of what metrics cost a workflow. Measurements queue here in order and one work item at a
/// time records them, so a reader that waits for <see cref="Recorded"/> to reach <see cref="Posted"/> has seen all
/// of them. A work item is not a task, so the SDK's check for tasks that leave the workflow's scheduler does not
/// see it, and it takes no execution context out of the workflow.
/// </summary>
internal static class WorkflowRecorder
{
    // Holds what the thread pool has not reached yet: two items a run, recorded as soon as a pool thread is free. Not
    // bounded: a pool too busy to drain it is also too busy to run the SDK's workflow tasks that fill it.
    private static readonly ConcurrentQueue<Recording> Queued = new();
    private static readonly Drain Drainer = new();
    private static int draining;
    private static long posted;
    private static long recorded;

    /// <summary>Gets how many measurements have been queued since the process started.</summary>
    public static long Posted => Interlocked.Read(ref posted);

    /// <summary>Gets how many of them have been recorded, in the order they were queued.</summary>
    public static long Recorded => Interlocked.Read(ref recorded);

    /// <summary>A run started: counted as started and in flight.</summary>
    public static void Started(MetricsInterceptor root, in RunLabels labels) =>
        Post(new(root, Kind.Started, labels, null, null, 0));

    /// <summary>A run closed: out of flight, counted by outcome, and its duration.</summary>
    public static void Closed(MetricsInterceptor root, in RunLabels labels, string outcome, double seconds) =>
        Post(new(root, Kind.Closed, labels, null, outcome, seconds));

    /// <summary>One signal, query or update, by outcome.</summary>
    public static void Counted(MetricsInterceptor root, Counter<long> counter, in RunLabels labels, string outcome) =>
        Post(new(root, Kind.Counted, labels, counter, outcome, 0));

    private static void Post(in Recording recording)
    {
        // Counted before it is queued: a reader that saw the count has everything ahead of it in the queue.
        Interlocked.Increment(ref posted);
        Queued.Enqueue(recording);
        if (Interlocked.CompareExchange(ref draining, 1, 0) != 0)
        {
            return;
        }

        try
        {
            ThreadPool.UnsafeQueueUserWorkItem(Drainer, preferLocal: false);
        }
        catch
        {
            // Left set, the flag would keep every later measurement queued for good.
            Volatile.Write(ref draining, 0);
            throw;
        }
    }

    private static void Record(in Recording recording)
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
                    recording.Counter!.Add(1, tags);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            recording.Root.ReportFailure(e);
        }
    }

    /// <summary>The label values every measurement of a run shares, bounded once for the run.</summary>
    internal readonly record struct RunLabels(string Namespace, string TaskQueue, string WorkflowType);

    private enum Kind
    {
        Started,
        Closed,
        Counted,
    }

    private readonly record struct Recording(
        MetricsInterceptor Root, Kind Kind, RunLabels Labels, Counter<long>? Counter, string? Outcome, double Seconds);

    /// <summary>
    /// The one work item: queued again only once it has cleared the flag, so one runs at a time and measurements keep
    /// their order.
    /// </summary>
    private sealed class Drain : IThreadPoolWorkItem
    {
        public void Execute()
        {
            do
            {
                while (Queued.TryDequeue(out var recording))
                {
                    Record(recording);
                    Interlocked.Increment(ref recorded);
                }

                // A full fence, not a plain write: the look at the queue below must not be made before the flag
                // is seen cleared, or a measurement queued in between would wait for the next one.
                Interlocked.Exchange(ref draining, 0);
            }

            // Something queued after the last look but before the flag was cleared found the flag set and left it
            // to this item.
            while (!Queued.IsEmpty && Interlocked.CompareExchange(ref draining, 1, 0) == 0);
        }
    }
}
