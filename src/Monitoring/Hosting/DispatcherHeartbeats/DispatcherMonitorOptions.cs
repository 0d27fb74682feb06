namespace Watchtower.Monitoring.Hosting.DispatcherHeartbeats;

/// <summary>
/// How the dispatcher-heartbeat monitor judges its dispatchers, bound from <c>Monitoring:Dispatchers</c>.
/// </summary>
public sealed class DispatcherMonitorOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string Section = "Monitoring:Dispatchers";

    /// <summary>
    /// Gets or sets how often staleness is re-checked, so that going stale is logged when it happens.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets a value indicating whether a stale dispatcher fails readiness; false reports it as degraded.
    /// </summary>
    public bool StaleFailsReadiness { get; set; } = true;

    /// <summary>
    /// Refuses settings the monitor cannot work with, naming the setting; the monitor then falls back.
    /// </summary>
    /// <param name="options">The options.</param>
    internal static void ThrowIfInvalid(DispatcherMonitorOptions options)
    {
        if (options.CheckInterval < TimeSpan.FromMilliseconds(10) || options.CheckInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException(
                $"{Section}:CheckInterval must be between 00:00:00.01 and 00:01:00; got {options.CheckInterval}.");
        }
    }
}
