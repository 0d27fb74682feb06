namespace Watchtower.Monitoring.Hosting.DispatcherHeartbeats;

/// <summary>
/// Tracks dispatchers that must prove they are alive by heartbeating: each is registered with the
/// time after which silence makes it stale.
/// </summary>
public interface IDispatcherHeartbeatMonitor
{
    /// <summary>Gets a value indicating whether the monitor works; false when it fell back to doing nothing.</summary>
    bool IsInitialized { get; }

    /// <summary>Gets why the monitor could not start, when it could not.</summary>
    Exception? InitializationError { get; }

    /// <summary>Gets the number of registered dispatchers that heartbeat in time.</summary>
    int HealthyCount { get; }

    /// <summary>Gets the number of registered dispatchers that have gone quiet for longer than allowed.</summary>
    int StaleCount { get; }

    /// <summary>
    /// Registers a dispatcher, or changes the threshold of one already registered (its heartbeats are kept).
    /// </summary>
    /// <param name="dispatcherId">An operator-chosen id, used as a metric label; keep them few.</param>
    /// <param name="staleAfter">Silence after which the dispatcher is stale.</param>
    void Register(string dispatcherId, TimeSpan staleAfter);

    /// <summary>Forgets a dispatcher.</summary>
    /// <param name="dispatcherId">The dispatcher.</param>
    /// <returns>False when it was not registered.</returns>
    bool Unregister(string dispatcherId);

    /// <summary>Records that a dispatcher is alive now.</summary>
    /// <param name="dispatcherId">The dispatcher.</param>
    /// <returns>False when it is not registered (the heartbeat is ignored).</returns>
    bool RecordHeartbeat(string dispatcherId);

    /// <summary>Looks up one dispatcher.</summary>
    /// <param name="dispatcherId">The dispatcher.</param>
    /// <returns>Its state, or null when it is not registered.</returns>
    DispatcherHealth? Find(string dispatcherId);

    /// <summary>Lists every registered dispatcher, by id.</summary>
    /// <returns>Their states.</returns>
    IReadOnlyList<DispatcherHealth> List();
}
