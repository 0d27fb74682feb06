namespace Watchtower.Monitoring.Hosting.DispatcherHeartbeats;

/// <summary>One dispatcher as the monitor sees it at a moment.</summary>
/// <param name="DispatcherId">The dispatcher's id.</param>
/// <param name="StaleAfter">Silence after which it is stale.</param>
/// <param name="RegisteredAt">When it was registered.</param>
/// <param name="LastHeartbeat">Its last heartbeat, if any.</param>
/// <param name="Heartbeats">Heartbeats received since registration.</param>
/// <param name="SinceLastHeartbeat">Time since the last heartbeat (or since registration, before the first).</param>
/// <param name="IsStale">Whether it has been silent for longer than <paramref name="StaleAfter"/>.</param>
public sealed record DispatcherHealth(
    string DispatcherId,
    TimeSpan StaleAfter,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? LastHeartbeat,
    long Heartbeats,
    TimeSpan SinceLastHeartbeat,
    bool IsStale);
