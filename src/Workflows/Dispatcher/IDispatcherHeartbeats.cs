
namespace Watchtower.Workflows.Dispatcher;

/// <summary>
/// Where a worker process takes its dispatcher's heartbeats. The host implements it (for example
/// with a monitoring registry); the workflows only know that a heartbeat arrived.
/// </summary>
public interface IDispatcherHeartbeats
{
    /// <summary>Records that the dispatcher's heartbeat reached this process.</summary>
    /// <param name="dispatcherId">The dispatcher's workflow id.</param>
    void Beat(string dispatcherId);

    /// <summary>Records that the dispatcher heartbeats to another worker from now on.</summary>
    /// <param name="dispatcherId">The dispatcher's workflow id.</param>
    /// <param name="attachment">The number of the attachment that ended; a release of an earlier
    /// attachment than this process's current one is late and must be ignored.</param>
    void Released(string dispatcherId, int attachment);
}
