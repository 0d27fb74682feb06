namespace Watchtower.Benchmarks;

/// <summary>Which monitoring a benchmark runs with; one run compares them side by side.</summary>
[Flags]
public enum Monitoring
{
    None = 0,
    Metrics = 1,
    Traces = 2,

    /// <summary>With <see cref="Traces"/>: the caller's context arrives unsampled.</summary>
    Unsampled = 4,
    All = Metrics | Traces,
}
