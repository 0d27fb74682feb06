using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;
using Watchtower.Workflows.Dispatcher;

namespace Watchtower.Worker.Dispatcher;

/// <summary>Where the heartbeat activities of this process deliver: the monitor, and the attachment state.</summary>
internal sealed class DispatcherHeartbeatReceiver(IDispatcherHeartbeatMonitor monitor, DispatcherAttachmentState state)
    : IDispatcherHeartbeats
{
    public void Beat(string dispatcherId) => monitor.RecordHeartbeat(dispatcherId);

    public void Released(string dispatcherId, int attachment) => state.Released(dispatcherId, attachment);
}
