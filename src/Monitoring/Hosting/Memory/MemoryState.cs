namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>Memory use against the limit.</summary>
internal enum MemoryState
{
    /// <summary>Below the warning threshold.</summary>
    Healthy,

    /// <summary>At or above the warning threshold.</summary>
    Degraded,

    /// <summary>At or above the critical threshold.</summary>
    Unhealthy,
}
