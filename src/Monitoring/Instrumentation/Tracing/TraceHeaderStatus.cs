namespace Watchtower.Monitoring.Tracing;

/// <summary>Outcome of reading the trace header.</summary>
internal enum TraceHeaderStatus
{
    Absent,
    Valid,
    Malformed,
}
