namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>Stands in for a memory monitor that could not start: reports healthy and says why it is idle.</summary>
internal sealed class NoOpMemoryMonitor(Exception error) : IMemoryMonitor
{
    public bool IsInitialized => false;

    public Exception? InitializationError => error;

    public MemoryState State => MemoryState.Healthy;

    public bool GrowthSuspected => false;
}
