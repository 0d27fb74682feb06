using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Temporalio.Activities;

namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Per-execution activity measurements, kept to four recordings (executions, duration, bytes
/// allocated, time in queue) because each costs a lookup of its tag set; in-flight is an observed
/// gauge over counters kept here, and retries are counted only when they happen.
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
        var key = new Key(info.Namespace, info.TaskQueue, info.ActivityType, info.IsLocal);
        var inFlight = InFlight.GetOrAdd(key, static _ => new StrongBox<long>());
        Interlocked.Increment(ref inFlight.Value);
        var tags = Tags(info);
        var waited = info.StartedTime - info.CurrentAttemptScheduledTime;
        if (waited >= TimeSpan.Zero)
        {
            WorkerMetrics.ActivityScheduleToStart.Record(waited.TotalSeconds, tags);
        }

        if (info.Attempt > 1)
        {
            WorkerMetrics.ActivityRetries.Add(1, tags);
        }

        return new Measurement(inFlight, Stopwatch.GetTimestamp());
    }

    public static void End(in Measurement measurement, ActivityInfo info, string outcome, long allocatedBytes)
    {
        Interlocked.Decrement(ref measurement.InFlight.Value);
        var done = Tags(info);
        done.Add(WorkerMetrics.Outcome, outcome);
        WorkerMetrics.ActivityExecutions.Add(1, done);
        WorkerMetrics.ActivityDuration.Record(Stopwatch.GetElapsedTime(measurement.Started).TotalSeconds, done);
        WorkerMetrics.ActivityAllocated.Record(allocatedBytes, done);
    }

    public static void Heartbeat(ActivityInfo info) =>
        WorkerMetrics.ActivityHeartbeats.Add(1, Tags(info));

    // Built when recorded rather than kept per execution: a TagList is 150 bytes of inline storage.
    private static TagList Tags(ActivityInfo info) =>
        Tags(info.Namespace, info.TaskQueue, info.ActivityType, info.IsLocal);

    private static TagList Tags(string ns, string taskQueue, string activityType, bool isLocal) => new()
    {
        { WorkerMetrics.Namespace, ns },
        { WorkerMetrics.TaskQueue, taskQueue },
        { WorkerMetrics.ActivityType, activityType },
        { WorkerMetrics.Local, isLocal ? True : False },
    };

    private static IEnumerable<System.Diagnostics.Metrics.Measurement<long>> ObserveInFlight()
    {
        foreach (var (key, count) in InFlight)
        {
            yield return new(
                Volatile.Read(ref count.Value),
                Tags(key.Namespace, key.TaskQueue, key.ActivityType, key.IsLocal));
        }
    }

    /// <summary>What one execution carries from start to end.</summary>
    internal readonly record struct Measurement(StrongBox<long> InFlight, long Started);

    private readonly record struct Key(string Namespace, string TaskQueue, string ActivityType, bool IsLocal);
}
