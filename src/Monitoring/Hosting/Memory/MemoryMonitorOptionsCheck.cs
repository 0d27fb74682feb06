namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>
/// Refuses memory monitor settings it cannot work with, naming the setting; the monitor then falls back.
/// </summary>
internal static class MemoryMonitorOptionsCheck
{
    public const string Section = "Monitoring:Memory";

    public static void ThrowIfInvalid(MemoryMonitorOptions options)
    {
        if (options.SampleInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{Section}:SampleInterval must be positive; got {options.SampleInterval}.");
        }

        if (options.WarnFraction is <= 0 or > 1
            || options.CriticalFraction is <= 0 or > 1
            || options.WarnFraction >= options.CriticalFraction)
        {
            throw new ArgumentException(
                $"{Section}:WarnFraction and CriticalFraction must be fractions with WarnFraction below "
                + $"CriticalFraction; got {options.WarnFraction} and {options.CriticalFraction}.");
        }

        if (options.GrowthWindow <= options.SampleInterval)
        {
            throw new ArgumentException(
                $"{Section}:GrowthWindow must be longer than SampleInterval; got {options.GrowthWindow}.");
        }

        if (options.GrowthBytesPerSecond <= 0 || options.GrowthMinimumCollections < 2)
        {
            throw new ArgumentException(
                $"{Section}:GrowthBytesPerSecond must be positive and GrowthMinimumCollections at least 2; "
                + $"got {options.GrowthBytesPerSecond} and {options.GrowthMinimumCollections}.");
        }
    }
}
