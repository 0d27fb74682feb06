using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Metrics;
using Temporalio.Activities;
using Temporalio.Testing;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Metrics;

namespace Watchtower.Benchmarks;

/// <summary>
/// What counting an activity's allocations adds to the metrics interceptor, for an activity that
/// completes at once and for one that continues on another thread (the case the counting exists for).
/// </summary>
[MemoryDiagnoser]
public class ActivityAllocationBenchmarks
{
    private const int Executions = 1000;

    private readonly ActivityEnvironment environment = new()
    {
        Info = ActivityEnvironment.DefaultInfo with { ActivityType = "analyzeDocument", TaskQueue = "bench" },
    };

    private readonly ExecuteActivityInput input = new(
        ActivityDefinition.Create("analyzeDocument", typeof(object), [], 0, _ => null), [], null);

    private TemporalMonitoringInterceptor interceptor = null!;
    private MeterProvider? meterProvider;
    private ExecutionContext activityContext = null!;

    [Params(false, true)]
    public bool CountAllocations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        interceptor = new TemporalMonitoringInterceptor(
            new() { Tracing = false, Metrics = true },
            NullLoggerFactory.Instance);
        interceptor.Metrics!.MeasureAllocations = CountAllocations;
        meterProvider = BenchmarkMeters.Create();

        // The context an activity's continuations run in: with the counting local, or as it would be without.
        var before = CountAllocations ? AllocationMeter.Enter(new Sink()) : null;
        activityContext = ExecutionContext.Capture()!;
        if (CountAllocations)
        {
            AllocationMeter.Leave(before);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => meterProvider?.Dispose();

    [Benchmark(OperationsPerInvoke = Executions)]
    public Task Synchronous() => RunAsync(synchronous: true);

    [Benchmark(OperationsPerInvoke = Executions)]
    public Task ContinuesOnAnotherThread() => RunAsync(synchronous: false);

    /// <summary>One continuation of the activity entering and leaving a thread: the price of each hop alone.</summary>
    [Benchmark(OperationsPerInvoke = Executions)]
    public void ThreadSwitch()
    {
        for (var i = 0; i < Executions; i++)
        {
            ExecutionContext.Run(activityContext, static _ => { }, null);
        }
    }

    private Task RunAsync(bool synchronous) => environment.RunAsync(async () =>
    {
        for (var i = 0; i < Executions; i++)
        {
            var inbound = interceptor.InterceptActivity(new TerminalInbound(synchronous));
            inbound.Init(new TerminalOutbound());
            await inbound.ExecuteActivityAsync(input).ConfigureAwait(false);
        }
    });

    /// <summary>Counts as an execution does, so that a thread switch costs what it costs an activity.</summary>
    private sealed class Sink : IAllocationCounter
    {
        private long tally;

        public void Entered() => AllocationTally.Enter(ref tally);

        public void Left(long bytes) => AllocationTally.Leave(ref tally, bytes);
    }
}
