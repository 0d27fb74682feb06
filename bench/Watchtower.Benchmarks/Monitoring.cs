namespace Watchtower.Benchmarks;

/// <summary>Which monitoring a benchmark runs with; one run compares them side by side.</summary>
public enum Monitoring
{
    None,
    Metrics,
    TracingSampled,
    TracingUnsampled,
    All,
}
