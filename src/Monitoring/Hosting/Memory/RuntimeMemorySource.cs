using System.Diagnostics;

namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>Reads the GC and the process: what the runtime itself knows, container limit included.</summary>
internal sealed class RuntimeMemorySource : IMemorySource
{
    public MemorySample Read()
    {
        var info = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        return new MemorySample(
            info.HeapSizeBytes,
            info.Index,
            process.WorkingSet64,
            process.PrivateMemorySize64,
            info.TotalAvailableMemoryBytes);
    }
}
