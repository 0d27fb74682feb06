using OpenTelemetry;
using OpenTelemetry.Metrics;
using Temporalio.Worker.Interceptors;

namespace Watchtower.Benchmarks;

/// <summary>
/// The SDK's end of the activity chain: the activity itself, completing at once or after one hop to
/// another thread. The SDK's own terminal interceptors are internal; this stands in, calling no next.
/// </summary>
/// <param name="synchronous">Whether the activity completes before returning.</param>
internal sealed class TerminalInbound(bool synchronous = true) : ActivityInboundInterceptor(null!)
{
    public override void Init(ActivityOutboundInterceptor outbound)
    {
    }

    public override Task<object?> ExecuteActivityAsync(ExecuteActivityInput input) =>
        synchronous ? Task.FromResult<object?>(null) : YieldAsync();

    private static async Task<object?> YieldAsync()
    {
        await Task.Yield();
        return null;
    }
}

/// <summary>The SDK's end of the outbound chain, standing in the same way.</summary>
internal sealed class TerminalOutbound() : ActivityOutboundInterceptor(null!)
{
    public override void Heartbeat(HeartbeatInput input)
    {
    }
}

/// <summary>An exporter that takes everything and sends nothing: the cost up to the wire.</summary>
/// <typeparam name="T">Spans or metrics.</typeparam>
internal sealed class DiscardingExporter<T> : BaseExporter<T>
    where T : class
{
    public override ExportResult Export(in Batch<T> batch) => ExportResult.Success;
}

/// <summary>The meter provider every benchmark records into, as a worker builds one, minus the scrape.</summary>
internal static class BenchmarkMeters
{
    /// <summary>The library's Meter aggregated by OpenTelemetry, exported (and discarded) once a minute.</summary>
    public static MeterProvider Create() => Sdk.CreateMeterProviderBuilder()
        .AddTemporalInstrumentation()
        .AddReader(new PeriodicExportingMetricReader(
            new DiscardingExporter<Metric>(),
            exportIntervalMilliseconds: 60_000))
        .Build();
}
