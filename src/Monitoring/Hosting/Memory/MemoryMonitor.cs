using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>
/// Samples memory on a timer, judges it against the limit (one log line per change of state), and
/// watches the heap left after each collection for growth sustained across a window, which a single
/// collection cycle cannot fake: it takes a rising trend over several collections.
/// </summary>
internal sealed class MemoryMonitor : IMemoryMonitor, IDisposable
{
    private static readonly Lazy<bool> Gauges = new(CreateGauges);

    private readonly IMemorySource source;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly MemoryMonitorOptions options;
    private readonly Queue<(DateTimeOffset At, long HeapBytes, long GcIndex)> afterCollections = new();
    private readonly Lock gate = new();
    private readonly GuardedTimer timer;
    private readonly Action<Exception>? failed;
    private MemorySample? latest;
    private volatile bool steppedDown;

    public MemoryMonitor(
        IMemorySource source,
        TimeProvider time,
        ILogger<MemoryMonitor> logger,
        MemoryMonitorOptions options,
        Action<Exception>? failed = null)
    {
        this.source = source;
        this.time = time;
        this.logger = logger;
        this.options = options;
        this.failed = failed;
        _ = Gauges.Value;
        Sample();
        timer = new GuardedTimer(time, options.SampleInterval, Sample, StepDown);

        // Joins the gauges only once started: a monitor whose timer cannot be made falls back to a
        // no-op and is never disposed, so it must not go on reporting a frozen sample.
        GaugeSources<MemoryMonitor>.Join(this);
    }

    public bool IsInitialized => !steppedDown;

    public Exception? InitializationError => null;

    public MemoryState State
    {
        get => steppedDown ? MemoryState.Healthy : field;
        private set;
    }

    public MemorySample? Latest => latest;

    /// <summary>Gets the post-collection heap growth over the window, in bytes per second (0 until judged).</summary>
    public double GrowthRate { get; private set; }

    public bool GrowthSuspected
    {
        get => !steppedDown && field;
        private set;
    }

    public void Dispose()
    {
        timer.Dispose();
        GaugeSources<MemoryMonitor>.Leave(this);
    }

    /// <summary>A sample failed on the timer (say /proc unreadable): from now on the monitor judges nothing.</summary>
    private void StepDown(Exception error)
    {
        steppedDown = true;
        GaugeSources<MemoryMonitor>.Leave(this);
        failed?.Invoke(error);
    }

    /// <summary>Takes a sample now; the timer calls this, tests may too.</summary>
    public void Sample()
    {
        var sample = source.Read();
        var now = time.GetUtcNow();
        MemoryState before, after;
        bool grewBefore, grewAfter;
        lock (gate)
        {
            latest = sample;
            before = State;
            State = Judge(sample);
            after = State;
            grewBefore = GrowthSuspected;
            JudgeGrowth(now, sample);
            grewAfter = GrowthSuspected;
        }

        var (usedMiB, limitMiB, fraction) =
            (sample.WorkingSetBytes / 1048576.0, sample.LimitBytes / 1048576.0, Fraction(sample));
        if (before != after && after == MemoryState.Healthy)
        {
            Log.MemoryRecovered(logger, usedMiB, limitMiB, fraction);
        }
        else if (before != after)
        {
            var state = after.ToString();
            Log.MemoryStateChanged(logger, state, usedMiB, limitMiB, fraction);
        }

        if (grewAfter && !grewBefore)
        {
            Log.MemoryGrowthSuspected(logger, GrowthRate / 1024.0, options.GrowthWindow.TotalMinutes);
        }
        else if (grewBefore && !grewAfter)
        {
            Log.MemoryGrowthEnded(logger);
        }
    }

    private static double Fraction(MemorySample sample) =>
        sample.LimitBytes > 0 ? (double)sample.WorkingSetBytes / sample.LimitBytes : 0;

    private MemoryState Judge(MemorySample sample)
    {
        var fraction = Fraction(sample);
        return fraction >= options.CriticalFraction ? MemoryState.Unhealthy
            : fraction >= options.WarnFraction ? MemoryState.Degraded
            : MemoryState.Healthy;
    }

    /// <summary>
    /// Least-squares slope of the heap left after each collection across the window; growth needs the
    /// window full, enough collections in it, a slope above the threshold, and most steps rising.
    /// </summary>
    private void JudgeGrowth(DateTimeOffset now, MemorySample sample)
    {
        if (afterCollections.Count == 0 || afterCollections.Last().GcIndex != sample.GcIndex)
        {
            afterCollections.Enqueue((now, sample.HeapBytes, sample.GcIndex));
        }

        while (afterCollections.Count > 0 && now - afterCollections.Peek().At > options.GrowthWindow)
        {
            afterCollections.Dequeue();
        }

        var points = afterCollections.ToArray();
        var spansWindow = points.Length > 0 && now - points[0].At >= options.GrowthWindow * 0.9;
        if (points.Length < Math.Max(2, options.GrowthMinimumCollections) || !spansWindow)
        {
            GrowthRate = 0;
            GrowthSuspected = false;
            return;
        }

        var origin = points[0].At;
        var meanX = points.Average(p => (p.At - origin).TotalSeconds);
        var meanY = points.Average(p => (double)p.HeapBytes);
        var covariance = points.Sum(p => ((p.At - origin).TotalSeconds - meanX) * (p.HeapBytes - meanY));
        var variance = points.Sum(p => Math.Pow((p.At - origin).TotalSeconds - meanX, 2));
        GrowthRate = variance > 0 ? covariance / variance : 0;
        var rising = 0;
        for (var i = 1; i < points.Length; i++)
        {
            // Strictly: a heap that jumped once and then held (one busy cycle) rises in one step only.
            rising += points[i].HeapBytes > points[i - 1].HeapBytes ? 1 : 0;
        }

        GrowthSuspected = GrowthRate >= options.GrowthBytesPerSecond && rising >= 0.75 * (points.Length - 1);
    }

    /// <summary>
    /// What the runtime's own metrics do not say: private memory, the limit the runtime sees, and this
    /// monitor's judgement. Heap, working set, committed memory, collections, pauses and allocation are
    /// the runtime's series (<c>dotnet.gc.*</c>, <c>dotnet.process.memory.working_set</c>).
    /// </summary>
    private static bool CreateGauges()
    {
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.memory.private",
            static () => Observe<long>(static m => m.Latest?.PrivateBytes),
            "By",
            "Private memory of the process.");
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.memory.limit",
            static () => Observe<long>(static m => m.Latest?.LimitBytes),
            "By",
            "Memory the runtime may use: the container limit, or the machine's memory.");
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.memory.growth_rate",
            static () => Observe<double>(static m => m.GrowthRate),
            "By/s",
            "Growth of the heap left after collections across the growth window (0 until the window is full).");
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.memory.growth_suspected",
            static () => Observe<int>(static m => m.GrowthSuspected ? 1 : 0),
            "{boolean}",
            "1 while heap growth has been sustained across the window (a possible leak).");
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.memory.state",
            static () => Observe<int>(static m => (int)m.State),
            "{state}",
            "Memory against the limit: 0 healthy, 1 degraded (warn threshold), 2 unhealthy (critical threshold).");
        return true;
    }

    /// <summary>One live monitor's reading: there is one per host, and any of them speaks for the process.</summary>
    private static IEnumerable<Measurement<TValue>> Observe<TValue>(Func<MemoryMonitor, TValue?> read)
        where TValue : struct
    {
        if (GaugeSources<MemoryMonitor>.Any is { } monitor && read(monitor) is { } value)
        {
            yield return new Measurement<TValue>(value);
        }
    }
}
