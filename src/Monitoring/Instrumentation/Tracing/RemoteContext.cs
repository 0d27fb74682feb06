using System.Diagnostics;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// A context received from another process, with the W3C baggage that came with it, and what was left out
/// of it for breaking the limits.
/// </summary>
internal readonly record struct RemoteContext(
    ActivityContext Context, string? Baggage, TraceContextParts Dropped = TraceContextParts.None);
