namespace Watchtower.Monitoring.Memory;

/// <summary>Memory use against the limit.</summary>
public enum MemoryState
{
    /// <summary>Below the warning threshold.</summary>
    Healthy,

    /// <summary>At or above the warning threshold.</summary>
    Degraded,

    /// <summary>At or above the critical threshold.</summary>
    Unhealthy,
}
