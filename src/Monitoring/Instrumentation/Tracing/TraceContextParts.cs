namespace Watchtower.Monitoring.Tracing;

/// <summary>Parts of a trace context left out because they broke the limits (or could not be read at all).</summary>
[Flags]
internal enum TraceContextParts
{
    None = 0,

    /// <summary>The W3C tracestate: over 32 members or 512 characters.</summary>
    TraceState = 1,

    /// <summary>The W3C baggage: over 180 entries or 8,192 bytes.</summary>
    Baggage = 2,

    /// <summary>The whole header: over 16 KiB, or not a trace context at all; the span starts a new trace.</summary>
    Header = 4,
}
