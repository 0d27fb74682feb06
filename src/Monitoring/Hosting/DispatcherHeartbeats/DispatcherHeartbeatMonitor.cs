using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.DispatcherHeartbeats;

/// <summary>
/// The registry behind <see cref="IDispatcherHeartbeatMonitor"/>. Time comes from the injected
/// <see cref="TimeProvider"/>; a timer re-checks staleness so that a dispatcher going quiet is
/// reported when it happens (once), and its recovery once, not whenever someone asks.
/// </summary>
internal sealed class DispatcherHeartbeatMonitor : IDispatcherHeartbeatMonitor, IDisposable
{
    private static readonly Counter<long> HeartbeatsReceived = HostingTelemetry.Meter.CreateCounter<long>(
        "watchtower.dispatcher.heartbeats", "{heartbeat}", "Heartbeats received from registered dispatchers.");

    // Registered once for the process; they read every live monitor (one per host).
    private static readonly Lazy<bool> Gauges = new(CreateGauges);

    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Dictionary<string, Entry> dispatchers = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private readonly GuardedTimer timer;
    private readonly Action<Exception>? failed;
    private volatile bool steppedDown;

    public DispatcherHeartbeatMonitor(
        TimeProvider time,
        ILogger<DispatcherHeartbeatMonitor> logger,
        TimeSpan checkEvery,
        Action<Exception>? failed = null)
    {
        this.time = time;
        this.logger = logger;
        this.failed = failed;
        _ = Gauges.Value;
        timer = new GuardedTimer(time, checkEvery, Check, StepDown);

        // Joins the gauges only once started: a monitor whose timer cannot be made falls back to a
        // no-op and is never disposed, so it must not go on reporting.
        GaugeSources<DispatcherHeartbeatMonitor>.Join(this);
    }

    public bool IsInitialized => !steppedDown;

    public Exception? InitializationError => null;

    public int HealthyCount => Snapshot().Count(d => !d.IsStale);

    public int StaleCount => Snapshot().Count(d => d.IsStale);

    public void Register(string dispatcherId, TimeSpan staleAfter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dispatcherId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(staleAfter, TimeSpan.Zero);
        if (steppedDown)
        {
            return;
        }

        lock (gate)
        {
            if (dispatchers.TryGetValue(dispatcherId, out var existing))
            {
                existing.StaleAfter = staleAfter;
                return;
            }

            dispatchers[dispatcherId] = new Entry(staleAfter, time.GetUtcNow());
        }

        Log.DispatcherRegistered(logger, dispatcherId, staleAfter.TotalSeconds);
    }

    public bool Unregister(string dispatcherId)
    {
        bool removed;
        lock (gate)
        {
            removed = dispatchers.Remove(dispatcherId);
        }

        if (removed)
        {
            Log.DispatcherUnregistered(logger, dispatcherId);
        }

        return removed;
    }

    public bool RecordHeartbeat(string dispatcherId)
    {
        Entry? entry;
        lock (gate)
        {
            if (!dispatchers.TryGetValue(dispatcherId, out entry))
            {
                return false;
            }

            entry.LastHeartbeat = time.GetUtcNow();
            entry.Heartbeats++;
        }

        // On the heartbeat activity's thread: a listener or log sink that throws must not fail the activity (the
        // dispatcher would count a missed heartbeat). The heartbeat is recorded; the timer's check, which is
        // guarded and steps the monitor down, says what broke.
        try
        {
            HeartbeatsReceived.Add(1, new KeyValuePair<string, object?>("dispatcher", dispatcherId));
            Check();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
        }

        return true;
    }

    public DispatcherHealth? Find(string dispatcherId)
    {
        lock (gate)
        {
            return dispatchers.TryGetValue(dispatcherId, out var entry)
                ? entry.Health(dispatcherId, time.GetUtcNow())
                : null;
        }
    }

    public IReadOnlyList<DispatcherHealth> List() => Snapshot();

    public void Dispose()
    {
        timer.Dispose();
        GaugeSources<DispatcherHeartbeatMonitor>.Leave(this);
    }

    /// <summary>The staleness check failed on the timer: from now on the monitor tracks nothing.</summary>
    private void StepDown(Exception error)
    {
        steppedDown = true;
        lock (gate)
        {
            dispatchers.Clear();
        }

        GaugeSources<DispatcherHeartbeatMonitor>.Leave(this);
        failed?.Invoke(error);
    }

    private List<DispatcherHealth> Snapshot()
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            return [.. dispatchers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.Health(p.Key, now))];
        }
    }

    /// <summary>Logs each dispatcher's change between fresh and stale once, when it happens.</summary>
    private void Check()
    {
        List<(string Id, DispatcherHealth Health)> changed = [];
        lock (gate)
        {
            var now = time.GetUtcNow();
            foreach (var (id, entry) in dispatchers)
            {
                var health = entry.Health(id, now);
                if (health.IsStale != entry.ReportedStale)
                {
                    entry.ReportedStale = health.IsStale;
                    changed.Add((id, health));
                }
            }
        }

        foreach (var (id, health) in changed)
        {
            if (health.IsStale)
            {
                Log.DispatcherStale(logger, id, health.SinceLastHeartbeat.TotalSeconds, health.StaleAfter.TotalSeconds);
            }
            else
            {
                Log.DispatcherRecovered(logger, id);
            }
        }
    }

    private static bool CreateGauges()
    {
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.dispatcher.heartbeat_age",
            static () => GaugeSources<DispatcherHeartbeatMonitor>.All
                .SelectMany(m => m.Snapshot())
                .Select(d => new Measurement<double>(
                    d.SinceLastHeartbeat.TotalSeconds,
                    new KeyValuePair<string, object?>("dispatcher", d.DispatcherId))),
            "s",
            "Seconds since each registered dispatcher's last heartbeat (since registration before the first).");
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.dispatchers.healthy",
            static () => GaugeSources<DispatcherHeartbeatMonitor>.All.Sum(m => m.HealthyCount),
            "{dispatcher}",
            "Registered dispatchers heartbeating in time.");
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.dispatchers.stale",
            static () => GaugeSources<DispatcherHeartbeatMonitor>.All.Sum(m => m.StaleCount),
            "{dispatcher}",
            "Registered dispatchers silent for longer than their threshold.");
        return true;
    }

    private sealed class Entry(TimeSpan staleAfter, DateTimeOffset registeredAt)
    {
        public TimeSpan StaleAfter { get; set; } = staleAfter;

        public DateTimeOffset RegisteredAt { get; } = registeredAt;

        public DateTimeOffset? LastHeartbeat { get; set; }

        public long Heartbeats { get; set; }

        public bool ReportedStale { get; set; }

        public DispatcherHealth Health(string id, DateTimeOffset now)
        {
            var since = now - (LastHeartbeat ?? RegisteredAt);
            return new DispatcherHealth(
                id,
                StaleAfter,
                RegisteredAt,
                LastHeartbeat,
                Heartbeats,
                since,
                since > StaleAfter);
        }
    }
}
