namespace Watchtower.Monitoring.Hosting.DispatcherHeartbeats;

/// <summary>Stands in for a dispatcher monitor that could not start: remembers nothing, says why.</summary>
internal sealed class NoOpDispatcherHeartbeatMonitor(Exception error) : IDispatcherHeartbeatMonitor
{
    public bool IsInitialized => false;

    public Exception? InitializationError => error;

    public int HealthyCount => 0;

    public int StaleCount => 0;

    public void Register(string dispatcherId, TimeSpan staleAfter)
    {
    }

    public bool Unregister(string dispatcherId) => false;

    public bool RecordHeartbeat(string dispatcherId) => false;

    public DispatcherHealth? Find(string dispatcherId) => null;

    public IReadOnlyList<DispatcherHealth> List() => [];
}
