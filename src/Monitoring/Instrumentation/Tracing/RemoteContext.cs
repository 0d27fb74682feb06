using System.Diagnostics;

namespace Watchtower.Monitoring.Tracing;

/// <summary>A context received from another process, with the W3C baggage that came with it.</summary>
internal readonly record struct RemoteContext(ActivityContext Context, string? Baggage);
