using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// The W3C limits a trace context must keep, here and in every header sent on: whatever a caller sends is
/// copied into every command a workflow issues and onto every span, so an oversized context would be
/// multiplied by the fan-out. What breaks them is left out (the trace itself goes on), counted on
/// <c>watchtower.trace_context.dropped</c> and said in a warning at most once a minute.
/// </summary>
internal static class TraceContextLimits
{
    /// <summary>The whole header's JSON; anything larger is not read at all.</summary>
    public const int MaxHeaderBytes = 16 * 1024;

    public const int MaxTraceStateMembers = 32;

    public const int MaxTraceStateLength = 512;

    public const int MaxBaggageEntries = 180;

    public const int MaxBaggageBytes = 8192;

    private static readonly Counter<long> Dropped = Telemetry.Meter.CreateCounter<long>(
        "watchtower.trace_context.dropped",
        "{part}",
        "Parts of trace contexts left out for breaking the W3C limits, or whole headers that could not be read, "
            + "by part: tracestate, baggage, header.");

    /// <summary>The tracestate, or null when it breaks the limits.</summary>
    public static string? TraceState(string? traceState, ref TraceContextParts dropped)
    {
        if (string.IsNullOrEmpty(traceState))
        {
            return null;
        }

        if (traceState.Length > MaxTraceStateLength || traceState.AsSpan().Count(',') + 1 > MaxTraceStateMembers)
        {
            dropped |= TraceContextParts.TraceState;
            return null;
        }

        return traceState;
    }

    /// <summary>The baggage, or null when it breaks the limits.</summary>
    public static string? Baggage(string? baggage, ref TraceContextParts dropped)
    {
        if (string.IsNullOrEmpty(baggage))
        {
            return null;
        }

        if (baggage.Length > MaxBaggageBytes
            || Encoding.UTF8.GetByteCount(baggage) > MaxBaggageBytes
            || baggage.AsSpan().Count(',') + 1 > MaxBaggageEntries)
        {
            dropped |= TraceContextParts.Baggage;
            return null;
        }

        return baggage;
    }

    /// <summary>
    /// Counts what was left out and says so, as often as <paramref name="warning"/> allows; never throws.
    /// </summary>
    /// <param name="dropped">What was left out.</param>
    /// <param name="logger">Where the warning goes; null to count only (the caller says it its own way).</param>
    /// <param name="warning">How often it may be said.</param>
    public static void Report(TraceContextParts dropped, ILogger? logger, RateLimitedWarning warning)
    {
        if (dropped == TraceContextParts.None)
        {
            return;
        }

        try
        {
            Count(dropped, TraceContextParts.TraceState, "tracestate");
            Count(dropped, TraceContextParts.Baggage, "baggage");
            Count(dropped, TraceContextParts.Header, "header");
            if (logger is not null && warning.TryEnter(out var suppressed))
            {
                Log.TraceContextDropped(logger, dropped.ToString(), suppressed);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A listener that throws costs the count, never the call that carried the header.
        }
    }

    private static void Count(TraceContextParts dropped, TraceContextParts part, string name)
    {
        if ((dropped & part) != 0)
        {
            Dropped.Add(1, new KeyValuePair<string, object?>("part", name));
        }
    }
}
