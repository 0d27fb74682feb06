using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Connection;

/// <summary>Capped exponential backoff: initial, 2x, 4x, ... up to the cap.</summary>
internal static class Backoff
{
    /// <summary>Delay before retry number <paramref name="attempt"/> (1-based).</summary>
    /// <param name="settings">Initial delay and cap.</param>
    /// <param name="attempt">The failed attempt's number.</param>
    /// <returns>The delay.</returns>
    public static TimeSpan Delay(PipelineWorkerOptions.RetrySettings settings, int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var delay = settings.InitialDelay.TotalMilliseconds * factor;
        return TimeSpan.FromMilliseconds(Math.Min(delay, settings.MaxDelay.TotalMilliseconds));
    }
}
