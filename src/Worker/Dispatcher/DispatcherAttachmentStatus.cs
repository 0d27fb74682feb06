
namespace Watchtower.Worker.Dispatcher;

/// <summary>Where this worker's attachment to its dispatcher stands.</summary>
internal enum DispatcherAttachmentStatus
{
    /// <summary>The worker runs no dispatcher.</summary>
    Disabled,

    /// <summary>Starting or attaching to it, or waiting for the worker to poll first.</summary>
    Attaching,

    /// <summary>Attached: its heartbeats come to this process.</summary>
    Attached,

    /// <summary>Another worker attached to it since.</summary>
    Released,

    /// <summary>It ended (or keeping it failed); the worker starts it again when it restarts.</summary>
    Ended,
}
