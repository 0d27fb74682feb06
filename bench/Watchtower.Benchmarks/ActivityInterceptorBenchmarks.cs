using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Temporalio.Activities;
using Temporalio.Api.Common.V1;
using Temporalio.Testing;
using Temporalio.Worker.Interceptors;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Tracing;

namespace Watchtower.Benchmarks;

/// <summary>
/// What monitoring adds to one activity execution: the interceptor chain built as the SDK builds it
/// per execution, the header read, the RunActivity span, and the metrics, around an activity that
/// does nothing. Providers are built as a worker builds them (batch span export, metric aggregation).
/// </summary>
[MemoryDiagnoser]
public class ActivityInterceptorBenchmarks
{
    private const int Executions = 1000;

    private readonly ActivityEnvironment environment = new()
    {
        Info = ActivityEnvironment.DefaultInfo with
        {
            ActivityType = "analyzeDocument",
            ActivityId = "5",
            TaskQueue = "bench",
            WorkflowId = "bench-workflow",
            WorkflowRunId = "01a21b30-e34e-73aa-b4a8-c299997d4e63",
            WorkflowType = "DocumentBatch",
        },
    };

    private TemporalMonitoringInterceptor? interceptor;
    private TracerProvider? tracerProvider;
    private MeterProvider? meterProvider;
    private ExecuteActivityInput input = null!;

    [Params(
        Monitoring.None,
        Monitoring.Metrics,
        Monitoring.Traces,
        Monitoring.Traces | Monitoring.Unsampled,
        Monitoring.All)]
    public Monitoring Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var tracing = Mode.HasFlag(Monitoring.Traces);
        var metrics = Mode.HasFlag(Monitoring.Metrics);
        interceptor = Mode == Monitoring.None
            ? null
            : new TemporalMonitoringInterceptor(
                new() { Tracing = tracing, Metrics = metrics },
                NullLoggerFactory.Instance);
        if (tracing)
        {
            tracerProvider = Sdk.CreateTracerProviderBuilder()
                .AddTemporalInstrumentation()
                .AddProcessor(new BatchActivityExportProcessor(new DiscardingExporter<Activity>()))
                .Build();
        }

        if (metrics)
        {
            meterProvider = BenchmarkMeters.Create();
        }

        // The caller's StartActivity span, sampled or not, as every traced workflow sends it.
        var flags = Mode.HasFlag(Monitoring.Unsampled) ? ActivityTraceFlags.None : ActivityTraceFlags.Recorded;
        var caller = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), flags);
        var definition = ActivityDefinition.Create("analyzeDocument", typeof(object), [], 0, _ => null);
        input = new ExecuteActivityInput(
            definition,
            [],
            new Dictionary<string, Payload> { [TraceHeader.DefaultKey] = TraceHeader.Create(caller, null) });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        tracerProvider?.Dispose();
        meterProvider?.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Executions)]
    public Task ExecuteActivity() => environment.RunAsync(async () =>
    {
        for (var i = 0; i < Executions; i++)
        {
            ActivityInboundInterceptor inbound = new TerminalInbound();
            if (interceptor is not null)
            {
                inbound = interceptor.InterceptActivity(inbound);
            }

            inbound.Init(new TerminalOutbound());
            await inbound.ExecuteActivityAsync(input).ConfigureAwait(false);
        }
    });
}
