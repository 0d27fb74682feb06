namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>The process's memory as the monitor last judged it.</summary>
internal interface IMemoryMonitor
{
    /// <summary>Gets a value indicating whether the monitor works; false when it fell back to doing nothing.</summary>
    bool IsInitialized { get; }

    /// <summary>Gets why the monitor could not start, when it could not.</summary>
    Exception? InitializationError { get; }

    /// <summary>Gets memory use against the limit.</summary>
    MemoryState State { get; }

    /// <summary>Gets a value indicating whether heap growth has been sustained across the growth window.</summary>
    bool GrowthSuspected { get; }
}
