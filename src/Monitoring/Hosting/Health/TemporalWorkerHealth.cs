namespace Watchtower.Monitoring.Hosting.Health;

/// <summary>
/// What the worker tells the health endpoints about its Temporal connection: the hosted worker
/// reports each change, the readiness check reads it.
/// </summary>
public sealed class TemporalWorkerHealth
{
    private volatile State state = new(false, false, null);

    /// <summary>Gets a value indicating whether the first connection to Temporal has been made.</summary>
    public bool Started => state.Started;

    /// <summary>Gets a value indicating whether the worker is polling and the server answers.</summary>
    public bool Ready => state.Polling && state.Problem is null;

    /// <summary>Gets what is wrong, when the worker is not ready.</summary>
    public string Description => state switch
    {
        { Problem: { } problem } => problem,
        { Polling: true } => "connected and polling",
        { Started: true } => "connected, not polling",
        _ => "connecting",
    };

    /// <summary>The worker is connected and polling.</summary>
    public void Polling() => state = new(true, true, null);

    /// <summary>The server stopped answering; the worker keeps retrying.</summary>
    /// <param name="reason">What failed, without secrets.</param>
    public void Lost(string reason) => state = state with { Problem = "Temporal is not reachable: " + reason };

    /// <summary>The server answers again.</summary>
    public void Restored() => state = state with { Problem = null };

    /// <summary>The worker stopped polling (shutting down, or restarting after a fault).</summary>
    public void NotPolling() => state = state with { Polling = false };

    private sealed record State(bool Started, bool Polling, string? Problem);
}
