namespace Watchtower.Monitoring.Memory;

/// <summary>One reading of the process's memory.</summary>
/// <param name="HeapBytes">GC heap size after the last collection.</param>
/// <param name="GcIndex">Number of that collection; a new number means a new post-collection heap size.</param>
/// <param name="WorkingSetBytes">Physical memory in use.</param>
/// <param name="PrivateBytes">Private memory.</param>
/// <param name="CommittedBytes">Memory the GC has committed.</param>
/// <param name="LimitBytes">The memory the runtime may use: the container limit, or the machine's memory.</param>
/// <param name="Collections">Collections so far by generation (0, 1, 2).</param>
/// <param name="PauseTotal">Time paused for collections so far.</param>
/// <param name="AllocatedBytes">Bytes allocated so far.</param>
internal sealed record MemorySample(
    long HeapBytes,
    long GcIndex,
    long WorkingSetBytes,
    long PrivateBytes,
    long CommittedBytes,
    long LimitBytes,
    IReadOnlyList<long> Collections,
    TimeSpan PauseTotal,
    long AllocatedBytes);
