using System.Diagnostics;
using System.Diagnostics.Metrics;
using Temporalio.Activities;
using Temporalio.Testing;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring.Interception;
using Watchtower.Monitoring.Metrics;

namespace Watchtower.Monitoring.Tests;

public sealed class AllocationMeterTests
{
    private const int Chunk = 1 << 20;

    [Fact]
    public async Task AllocationMeter_AsyncCodeOnSeveralThreads_CountsEverySegment()
    {
        var meter = new Counter();
        var before = AllocationMeter.Enter(meter);
        var work = AllocateAcrossThreadsAsync();
        AllocationMeter.Leave(before);
        await work;

        // Four chunks: before the first await, after it on a pool thread, and in two child tasks.
        Assert.InRange(meter.Allocated, 4L * Chunk, (4L * Chunk) + (256 * 1024));
    }

    [Fact]
    public async Task AllocationMeter_OtherCodeAllocatingMeanwhile_IsNotCounted()
    {
        using var go = new ManualResetEventSlim();
        var meter = new Counter();
        var before = AllocationMeter.Enter(meter);
        var work = AllocateAfterSignalAsync(go);
        AllocationMeter.Leave(before);

        // Allocated outside the measured context, here and on another thread, while it waits.
        var elsewhere = Task.Run(() => Keep(new byte[8 * Chunk]), TestContext.Current.CancellationToken);
        Keep(new byte[8 * Chunk]);
        await elsewhere;
        go.Set();
        await work;

        Assert.InRange(meter.Allocated, Chunk, Chunk + (256 * 1024));
    }

    [Fact]
    public async Task ActivityInterceptor_ActivitiesOfTwoTypes_RecordsOneAllocationPerExecutionByType()
    {
        using var collected = new Recorded("watchtower.activity.allocated");
        var interceptor = new TemporalMonitoringInterceptor(new() { Tracing = false });
        for (var i = 0; i < 3; i++)
        {
            // Allocated after the activity went asynchronous, on the thread it ends on.
            await RunAsync(interceptor, "allocateMegabyte", async () =>
            {
                await Task.Yield();
                Keep(new byte[Chunk]);
            });
        }

        await RunAsync(interceptor, "allocateNothing", () => Task.CompletedTask);

        var megabyte = collected.WaitFor("allocateMegabyte", 3, TimeSpan.FromSeconds(30));
        Assert.Equal(3, megabyte.Count);
        Assert.All(megabyte, bytes => Assert.InRange(bytes, Chunk, Chunk + (256 * 1024)));
        Assert.InRange(Assert.Single(collected.WaitFor("allocateNothing", 1, TimeSpan.FromSeconds(30))), 0, 16 * 1024);
    }

    [Fact]
    public async Task ActivityInterceptor_ActivityEndsWhileItsLastThreadRunsOn_CountsThatThreadsShare()
    {
        using var allocated = new Recorded("watchtower.activity.allocated");
        using var durations = new Recorded("watchtower.activity.duration");
        var interceptor = new TemporalMonitoringInterceptor(new() { Tracing = false });
        Task? lastThread = null;

        // Waited for as long as this test may take: a thread held up for longer than the usual second on a busy
        // machine would otherwise see the execution recorded without its share.
        var usualWait = MonitoredActivityInbound.LastThreadWait;
        MonitoredActivityInbound.LastThreadWait = TimeSpan.FromMinutes(2);
        try
        {
            // The activity's task completes on a thread that goes on in the activity's code until the execution has
            // been recorded: its caller resumes elsewhere (continuations run asynchronously) and ends the execution
            // while that thread's megabyte is still its own.
            await RunAsync(interceptor, "endsBeforeItsThread", () =>
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lastThread = Task.Run(() =>
                {
                    Keep(new byte[Chunk]);
                    done.SetResult();
                    durations.WaitFor("endsBeforeItsThread", 1, TimeSpan.FromSeconds(30));
                });
                return done.Task;
            });
            await lastThread!.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            var bytes = allocated.WaitFor("endsBeforeItsThread", 1, TimeSpan.FromSeconds(30));
            Assert.InRange(Assert.Single(bytes), Chunk, Chunk + (256 * 1024));
        }
        finally
        {
            MonitoredActivityInbound.LastThreadWait = usualWait;
        }
    }

    [Fact]
    public async Task ActivityInterceptor_ActivityLeavesAThreadRunningInItsCode_RecordsWithoutWaitingForIt()
    {
        using var allocated = new Recorded("watchtower.activity.allocated");
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var interceptor = new TemporalMonitoringInterceptor(new() { Tracing = false });
        Thread? leftRunning = null;

        // A thread of its own started in the activity's code (and so in its context), still running when the activity
        // has long ended: its share is not waited for beyond a bound.
        await RunAsync(interceptor, "leavesAThreadRunning", () =>
        {
            leftRunning = new Thread(() =>
            {
                Keep(new byte[Chunk]);
                running.Set();
                release.Wait(TimeSpan.FromSeconds(60));
            });
            leftRunning.Start();
            Assert.True(running.Wait(TimeSpan.FromSeconds(30)), "The activity's thread did not start within 30 s.");
            return Task.CompletedTask;
        });

        try
        {
            var bytes = allocated.WaitFor("leavesAThreadRunning", 1, TimeSpan.FromSeconds(30));
            Assert.InRange(Assert.Single(bytes), 0, 64 * 1024);
        }
        finally
        {
            release.Set();
            leftRunning!.Join(TimeSpan.FromSeconds(30));
        }
    }

    private static async Task AllocateAcrossThreadsAsync()
    {
        Keep(new byte[Chunk]);
        await Task.Delay(1).ConfigureAwait(false);
        Keep(new byte[Chunk]);
        await Task.WhenAll(Task.Run(() => Keep(new byte[Chunk])), Task.Run(() => Keep(new byte[Chunk])))
            .ConfigureAwait(false);
    }

    private static async Task AllocateAfterSignalAsync(ManualResetEventSlim go)
    {
        await Task.Run(go.Wait).ConfigureAwait(false);
        Keep(new byte[Chunk]);
    }

    private static async Task RunAsync(TemporalMonitoringInterceptor interceptor, string activityType, Func<Task> body)
    {
        var environment = new ActivityEnvironment
        {
            Info = ActivityEnvironment.DefaultInfo with { ActivityType = activityType, TaskQueue = "allocations" },
        };
        await environment.RunAsync(async () =>
        {
            var inbound = interceptor.InterceptActivity(new Terminal(body));
            inbound.Init(new TerminalOutbound());
            await inbound.ExecuteActivityAsync(new ExecuteActivityInput(
                ActivityDefinition.Create(activityType, typeof(object), [], 0, _ => null), [], null));
        });
    }

    private static void Keep(byte[] bytes) => GC.KeepAlive(bytes);

    private sealed class Counter : IAllocationCounter
    {
        private long allocated;

        public long Allocated => Interlocked.Read(ref allocated);

        public void Entered()
        {
        }

        public void Left(long bytes) => Interlocked.Add(ref allocated, bytes);
    }

    private sealed class Terminal(Func<Task> body) : ActivityInboundInterceptor(null!)
    {
        public override void Init(ActivityOutboundInterceptor outbound)
        {
        }

        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            await body();
            return null;
        }
    }

    private sealed class TerminalOutbound() : ActivityOutboundInterceptor(null!)
    {
        public override void Heartbeat(HeartbeatInput input)
        {
        }
    }

    /// <summary>Collects one instrument's recordings from this test's task queue only.</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly List<(string Type, long Bytes)> values = [];

        public Recorded(string instrument)
        {
            listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == MonitoringNames.MeterName && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Add(value, tags));
            listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Add((long)value, tags));
            listener.Start();
        }

        private void Add(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? type = null, queue = null;
            foreach (var tag in tags)
            {
                type = tag.Key == "activity_type" ? tag.Value as string : type;
                queue = tag.Key == "task_queue" ? tag.Value as string : queue;
            }

            if (queue == "allocations")
            {
                lock (values)
                {
                    values.Add((type!, value));
                    Monitor.PulseAll(values);
                }
            }
        }

        /// <summary>The values recorded for <paramref name="type"/> once there are <paramref name="count"/>.</summary>
        public List<long> WaitFor(string type, int count, TimeSpan timeout)
        {
            var waited = Stopwatch.StartNew();
            lock (values)
            {
                while (values.Count(v => v.Type == type) < count)
                {
                    var left = timeout - waited.Elapsed;
                    if (left <= TimeSpan.Zero || !Monitor.Wait(values, left))
                    {
                        throw new TimeoutException(
                            $"Fewer than {count} recordings for activity type {type} within {timeout}.");
                    }
                }

                return [.. values.Where(v => v.Type == type).Select(v => v.Bytes)];
            }
        }

        public void Dispose() => listener.Dispose();
    }
}
