namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>One reading of the process's memory.</summary>
/// <param name="HeapBytes">GC heap size after the last collection.</param>
/// <param name="GcIndex">Number of that collection; a new number means a new post-collection heap size.</param>
/// <param name="WorkingSetBytes">Physical memory in use.</param>
/// <param name="PrivateBytes">Private memory.</param>
/// <param name="LimitBytes">The memory the runtime may use: the container limit, or the machine's memory.</param>
internal sealed record MemorySample(
    long HeapBytes,
    long GcIndex,
    long WorkingSetBytes,
    long PrivateBytes,
    long LimitBytes);
