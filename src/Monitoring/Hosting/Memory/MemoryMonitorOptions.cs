namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>How the memory monitor samples and judges.</summary>
public sealed class MemoryMonitorOptions
{
    /// <summary>Gets or sets the time between samples.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets the fraction of the limit in use (working set) at which memory is degraded.</summary>
    public double WarnFraction { get; set; } = 0.80;

    /// <summary>Gets or sets the fraction of the limit in use at which memory is unhealthy.</summary>
    public double CriticalFraction { get; set; } = 0.95;

    /// <summary>Gets or sets the window over which heap growth must be sustained to be reported.</summary>
    public TimeSpan GrowthWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets the post-collection heap growth, in bytes per second, that counts as growth.</summary>
    public double GrowthBytesPerSecond { get; set; } = 16 * 1024;

    /// <summary>Gets or sets the number of collections the window must hold before growth is judged.</summary>
    public int GrowthMinimumCollections { get; set; } = 5;
}
