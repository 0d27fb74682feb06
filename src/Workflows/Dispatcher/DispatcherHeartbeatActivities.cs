using Temporalio.Activities;

namespace Watchtower.Workflows.Dispatcher;

/// <summary>
/// The dispatcher's heartbeat, run on a task queue that only the attached worker process polls, so
/// that each one proves the whole loop: server, workflow task, activity task, this process.
/// </summary>
/// <param name="heartbeats">Where this process takes heartbeats.</param>
public sealed class DispatcherHeartbeatActivities(IDispatcherHeartbeats heartbeats)
{
    /// <summary>The heartbeat's activity type.</summary>
    public const string RecordHeartbeatType = "recordDispatcherHeartbeat";

    /// <summary>Records one heartbeat.</summary>
    /// <param name="heartbeat">Which dispatcher.</param>
    [Activity(RecordHeartbeatType)]
    public void RecordHeartbeat(DispatcherHeartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        heartbeats.Beat(heartbeat.DispatcherId);
    }

    /// <summary>Tells this process that the dispatcher heartbeats to another worker now.</summary>
    /// <param name="heartbeat">Which dispatcher.</param>
    [Activity("releaseDispatcher")]
    public void Release(DispatcherHeartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        heartbeats.Released(heartbeat.DispatcherId, heartbeat.Attachment);
    }
}
