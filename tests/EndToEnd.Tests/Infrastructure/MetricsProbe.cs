using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Watchtower.Monitoring.Metrics;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Collects the interceptors' measurements for one task queue. Instruments are process-wide and
/// other tests run alongside, so every read filters by the test's own task queue.
/// </summary>
internal sealed class MetricsProbe(string taskQueue) : IDisposable
{
    private readonly MetricCollector<long> started = new(WorkerMetrics.WorkflowsStarted);
    private readonly MetricCollector<long> closed = new(WorkerMetrics.WorkflowsClosed);
    private readonly MetricCollector<long> inFlight = new(WorkerMetrics.WorkflowsInFlight);
    private readonly MetricCollector<double> duration = new(WorkerMetrics.WorkflowDuration);
    private readonly MetricCollector<double> activities = new(WorkerMetrics.ActivityDuration);
    private readonly MetricCollector<long> signals = new(WorkerMetrics.Signals);
    private readonly MetricCollector<long> queries = new(WorkerMetrics.Queries);
    private readonly MetricCollector<long> updates = new(WorkerMetrics.Updates);
    private readonly MetricCollector<long> retries = new(WorkerMetrics.ActivityRetries);
    private readonly MetricCollector<long> heartbeats = new(WorkerMetrics.ActivityHeartbeats);

    public long Started(string workflowType) => Sum(started, ("workflow_type", workflowType));

    public long Closed(string workflowType, string outcome) =>
        Sum(closed, ("workflow_type", workflowType), ("outcome", outcome));

    public long ClosedAll(string workflowType) => Sum(closed, ("workflow_type", workflowType));

    public long InFlight(string workflowType) => Sum(inFlight, ("workflow_type", workflowType));

    public long DurationCount(string workflowType)
    {
        Settle();
        return duration.GetMeasurementSnapshot().Count(m => Matches(m.Tags, ("workflow_type", workflowType)));
    }

    /// <summary>Attempts by outcome: the count of the duration histogram's recordings.</summary>
    public long Activities(string activityType, string outcome) => activities.GetMeasurementSnapshot()
        .Count(m => Matches(m.Tags, ("activity_type", activityType), ("outcome", outcome)));

    public long Signals(string workflowType, string outcome) =>
        Sum(signals, ("workflow_type", workflowType), ("outcome", outcome));

    public long Retries(string activityType) => Sum(retries, ("activity_type", activityType));

    public long Heartbeats(string activityType) => Sum(heartbeats, ("activity_type", activityType));

    public long Queries(string workflowType) => Sum(queries, ("workflow_type", workflowType));

    public long Updates(string workflowType, string outcome) =>
        Sum(updates, ("workflow_type", workflowType), ("outcome", outcome));

    /// <summary>Every tag key recorded on any of the interceptors' workflow and activity series.</summary>
    public HashSet<string> TagKeys()
    {
        Settle();
        return new[]
        {
            started.GetMeasurementSnapshot(),
            closed.GetMeasurementSnapshot(),
            signals.GetMeasurementSnapshot(),
        }
            .SelectMany(s => s).Select(m => m.Tags)
            .Concat(activities.GetMeasurementSnapshot().Select(m => m.Tags))
            .Where(tags => Matches(tags)).SelectMany(tags => tags.Keys).ToHashSet();
    }

    public void Dispose()
    {
        started.Dispose();
        closed.Dispose();
        inFlight.Dispose();
        duration.Dispose();
        activities.Dispose();
        signals.Dispose();
        queries.Dispose();
        updates.Dispose();
        retries.Dispose();
        heartbeats.Dispose();
    }

    /// <summary>
    /// Runs' measurements reach the meter on the thread pool, in the order they were made: once the recorder has
    /// caught up with what it had been given, every run that ended before the read is in it.
    /// </summary>
    private static void Settle()
    {
        if (!WorkflowRecorder.WaitRecorded(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException(
                $"{WorkflowRecorder.Backlog} workflow measurements still not recorded after 10 s");
        }
    }

    private long Sum(MetricCollector<long> collector, params (string Key, string Value)[] tags)
    {
        Settle();
        return collector.GetMeasurementSnapshot().Where(m => Matches(m.Tags, tags)).Sum(m => m.Value);
    }

    private bool Matches(IReadOnlyDictionary<string, object?> recorded, params (string Key, string Value)[] tags) =>
        recorded.TryGetValue("task_queue", out var queue) && (string?)queue == taskQueue
        && tags.All(t => recorded.TryGetValue(t.Key, out var value) && (string?)value == t.Value);
}
