using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Dispatcher;

/// <summary>
/// Which attachment to the dispatcher this process holds, and what to cancel when another worker takes
/// it over. While one is held, the dispatcher is registered with the heartbeat monitor; it is
/// unregistered when the attachment is released or forgotten.
/// </summary>
internal sealed class DispatcherAttachmentState(
    IOptions<PipelineWorkerOptions> options,
    IDispatcherHeartbeatMonitor monitor,
    ILogger<DispatcherAttachmentState> logger)
{
    private readonly Lock gate = new();

    // The attachment's number (0: none held) and what keeps it, cancelled on release.
    private int held;
    private CancellationTokenSource? keeping;
    private (DispatcherAttachmentStatus Status, string? Detail) current = (DispatcherAttachmentStatus.Attaching, null);

    /// <summary>Gets where the attachment stands, with a detail for people.</summary>
    public (DispatcherAttachmentStatus Status, string? Detail) Current
    {
        get
        {
            lock (gate)
            {
                return options.Value.Dispatcher.Enabled ? current : (DispatcherAttachmentStatus.Disabled, null);
            }
        }
    }

    /// <summary>Gets the number of the attachment held (0: none).</summary>
    public int Held => Volatile.Read(ref held);

    private string DispatcherId => options.Value.Dispatcher.Id;

    public void Set(DispatcherAttachmentStatus status, string? detail)
    {
        lock (gate)
        {
            current = (status, detail);
        }
    }

    /// <summary>Holds a new attachment: expects the dispatcher's heartbeats until it is released.</summary>
    /// <param name="number">The attachment's number, from the dispatcher.</param>
    /// <param name="keep">Cancelled when the attachment is released.</param>
    public void Hold(int number, CancellationTokenSource keep)
    {
        var dispatcher = options.Value.Dispatcher;

        // Registered before the attachment counts as held, so a release can only ever find it registered.
        monitor.Register(dispatcher.Id, dispatcher.StaleAfter);
        lock (gate)
        {
            held = number;
            keeping = keep;
            current = (DispatcherAttachmentStatus.Attached, null);
        }
    }

    /// <summary>Lets go of what keeps an attachment once it has ended.</summary>
    /// <param name="keep">What <see cref="Hold"/> was given.</param>
    public void StopKeeping(CancellationTokenSource keep)
    {
        lock (gate)
        {
            if (keeping == keep)
            {
                keeping = null;
            }
        }
    }

    /// <summary>The dispatcher now heartbeats to another worker.</summary>
    /// <param name="dispatcherId">The dispatcher.</param>
    /// <param name="attachment">The attachment that ended; one earlier than the one held is a late release.</param>
    public void Released(string dispatcherId, int attachment)
    {
        CancellationTokenSource? stop;
        lock (gate)
        {
            if (dispatcherId != DispatcherId || held == 0 || attachment < held)
            {
                return;
            }

            held = 0;
            stop = keeping;
            keeping = null;
            current = (DispatcherAttachmentStatus.Released, null);
        }

        monitor.Unregister(dispatcherId);
        Log.DispatcherReleased(logger, dispatcherId);
        try
        {
            stop?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The keeping ended at the same moment.
        }
    }

    /// <summary>Stops expecting the dispatcher's heartbeats.</summary>
    public void Forget()
    {
        bool wasHeld;
        lock (gate)
        {
            wasHeld = held != 0;
            held = 0;
            keeping = null;
        }

        if (wasHeld)
        {
            monitor.Unregister(DispatcherId);
        }
    }
}
