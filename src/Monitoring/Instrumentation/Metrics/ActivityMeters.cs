using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Temporalio.Activities;
using Watchtower.Monitoring.Labels;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Per-execution activity measurements, kept to three recordings (duration, whose count is the
/// executions, bytes allocated, time in queue) because each costs a lookup of its tag set; in-flight is
/// an observed gauge over counters kept here, and retries are counted only when they happen. Label
/// values are bounded once, when an execution begins.
/// </summary>
internal static class ActivityMeters
{
    private static readonly object True = "true";
    private static readonly object False = "false";

    private static readonly ConcurrentDictionary<Key, StrongBox<long>> InFlight = new();

    static ActivityMeters() =>
        Telemetry.Meter.CreateObservableUpDownCounter(
            "watchtower.activities.in_flight",
            ObserveInFlight,
            "{execution}",
            "Activity attempts executing on this worker now.");

    public static Measurement Begin(ActivityInfo info)
    {
        var key = new Key(
            MetricLabels.Namespaces.Admit(info.Namespace),
            MetricLabels.TaskQueues.Admit(info.TaskQueue),
            MetricLabels.ActivityTypes.Ran(info.ActivityType),
            info.IsLocal);
        var tags = Tags(key);
        var waited = info.StartedTime - info.CurrentAttemptScheduledTime;
        if (waited >= TimeSpan.Zero)
        {
            WorkerMetrics.ActivityScheduleToStart.Record(waited.TotalSeconds, tags);
        }

        if (info.Attempt > 1)
        {
            WorkerMetrics.ActivityRetries.Add(1, tags);
        }

        // Counted in flight last: a recording above that throws leaves no execution counted that never ends.
        var inFlight = InFlight.GetOrAdd(key, static _ => new StrongBox<long>());
        Interlocked.Increment(ref inFlight.Value);
        return new Measurement(key, inFlight, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Ends an execution: no longer in flight, and its duration; returns the tags its allocation is recorded with.
    /// </summary>
    public static TagList End(in Measurement measurement, string outcome)
    {
        Interlocked.Decrement(ref measurement.InFlight.Value);
        var done = Done(measurement.Key, outcome);
        WorkerMetrics.ActivityDuration.Record(Stopwatch.GetElapsedTime(measurement.Started).TotalSeconds, done);
        return done;
    }

    /// <summary>The bytes an ended execution allocated, with the tags <see cref="End"/> returned.</summary>
    public static void Allocated(in TagList done, long allocatedBytes) =>
        WorkerMetrics.ActivityAllocated.Record(allocatedBytes, done);

    /// <summary>The bytes an ended execution allocated, recorded after its end.</summary>
    public static void Allocated(in Measurement measurement, string outcome, long allocatedBytes) =>
        Allocated(Done(measurement.Key, outcome), allocatedBytes);

    public static void Heartbeat(in Measurement measurement) =>
        WorkerMetrics.ActivityHeartbeats.Add(1, Tags(measurement.Key));

    // Built when recorded rather than kept per execution: a TagList is 150 bytes of inline storage.
    private static TagList Tags(in Key key) => new()
    {
        { WorkerMetrics.Namespace, key.Namespace },
        { WorkerMetrics.TaskQueue, key.TaskQueue },
        { WorkerMetrics.ActivityType, key.ActivityType },
        { WorkerMetrics.Local, key.IsLocal ? True : False },
    };

    /// <summary>The tags of an ended execution: its kind's and its outcome.</summary>
    private static TagList Done(in Key key, string outcome)
    {
        var done = Tags(key);
        done.Add(WorkerMetrics.Outcome, outcome);
        return done;
    }

    private static IEnumerable<System.Diagnostics.Metrics.Measurement<long>> ObserveInFlight()
    {
        foreach (var (key, count) in InFlight)
        {
            yield return new(Volatile.Read(ref count.Value), Tags(key));
        }
    }

    /// <summary>What one execution carries from start to end.</summary>
    internal readonly record struct Measurement(Key Key, StrongBox<long> InFlight, long Started);

    /// <summary>The label values of one kind of execution, bounded once when it begins.</summary>
    internal readonly record struct Key(string Namespace, string TaskQueue, string ActivityType, bool IsLocal);
}
