namespace Watchtower.Monitoring.Tests;

/// <summary>
/// Tests that start monitors: their gauges are registered once per process and report every live
/// monitor, so they run alone rather than beside each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeters
{
    public const string Name = "Process-wide meters";
}
