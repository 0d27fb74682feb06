using Microsoft.Extensions.Logging;

namespace Watchtower.Worker;

/// <summary>Log messages of the worker host. Ids 2000-2999 belong to this project.</summary>
internal static partial class Log
{
    [LoggerMessage(
        2000,
        LogLevel.Warning,
        "Temporal at {Address} is not reachable (attempt {Attempt}): {Cause}. Retrying in {Delay:0.#} s",
        EventName = "ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string address, int attempt, string cause, double delay);

    [LoggerMessage(
        2001,
        LogLevel.Information,
        "Connected to Temporal at {Address}, namespace {Namespace}",
        EventName = "Connected")]
    public static partial void Connected(ILogger logger, string address, string @namespace);

    [LoggerMessage(2002, LogLevel.Information, "Worker polling task queue {TaskQueue}", EventName = "WorkerPolling")]
    public static partial void WorkerPolling(ILogger logger, string taskQueue);

    [LoggerMessage(
        2003,
        LogLevel.Warning,
        "Worker on task queue {TaskQueue} stopped: {Cause}. Restarting in {Delay:0.#} s",
        EventName = "WorkerFaulted")]
    public static partial void WorkerFaulted(ILogger logger, string taskQueue, string cause, double delay);

    [LoggerMessage(
        2004,
        LogLevel.Information,
        "Worker on task queue {TaskQueue} drained and stopped",
        EventName = "WorkerStopped")]
    public static partial void WorkerStopped(ILogger logger, string taskQueue);

    [LoggerMessage(
        2005,
        LogLevel.Information,
        "No Temporal address configured; using the server already listening on {Address}",
        EventName = "UsingExistingLocalServer")]
    public static partial void UsingExistingLocalServer(ILogger logger, string address);

    [LoggerMessage(
        2006,
        LogLevel.Information,
        "No Temporal address configured; starting a local dev server with {Cli} (database {Database})",
        EventName = "StartingDevServer")]
    public static partial void StartingDevServer(ILogger logger, string cli, string database);

    [LoggerMessage(
        2007,
        LogLevel.Information,
        "Temporal dev server ready: gRPC {Address}, Web UI {UiUrl}",
        EventName = "DevServerStarted")]
    public static partial void DevServerStarted(ILogger logger, string address, string uiUrl);

    [LoggerMessage(
        2008,
        LogLevel.Information,
        "Start a pipeline from another terminal:\n  {Command}",
        EventName = "StartCommandHint")]
    public static partial void StartCommandHint(ILogger logger, string command);

    [LoggerMessage(
        2009,
        LogLevel.Warning,
        "The Temporal CLI was not found (TEMPORAL_CLI_PATH, PATH, .tools/bin); "
        + "the SDK will try to download the dev server",
        EventName = "CliNotFound")]
    public static partial void CliNotFound(ILogger logger);

    [LoggerMessage(
        2011,
        LogLevel.Warning,
        "Lost Temporal at {Address} (check {Attempt}): {Cause}. Pollers keep retrying; next check in {Delay:0.#} s",
        EventName = "ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string address, int attempt, string cause, double delay);

    [LoggerMessage(
        2012,
        LogLevel.Information,
        "Temporal at {Address} is reachable again after {DurationMs:0} ms",
        EventName = "ConnectionRestored")]
    public static partial void ConnectionRestored(ILogger logger, string address, double durationMs);

    [LoggerMessage(
        2013,
        LogLevel.Warning,
        "Could not restart the local Temporal dev server: {Cause}",
        EventName = "DevServerRestartFailed")]
    public static partial void DevServerRestartFailed(ILogger logger, string cause);

    [LoggerMessage(
        2014,
        LogLevel.Warning,
        "The local Temporal dev server stopped answering; starting it again",
        EventName = "DevServerRestarting")]
    public static partial void DevServerRestarting(ILogger logger);

    [LoggerMessage(
        2010,
        LogLevel.Information,
        "Stopping the local Temporal dev server",
        EventName = "StoppingDevServer")]
    public static partial void StoppingDevServer(ILogger logger);

    [LoggerMessage(
        2015,
        LogLevel.Information,
        "Dispatcher {DispatcherId} attached: it heartbeats every {Interval:0.#} s to task queue {HeartbeatTaskQueue}, "
        + "which only this process polls. Submit requests with: "
        + "temporal workflow signal --workflow-id {DispatcherId} --name submit --input <request JSON>",
        EventName = "DispatcherAttached")]
    public static partial void DispatcherAttached(
        ILogger logger,
        string dispatcherId,
        double interval,
        string heartbeatTaskQueue);

    [LoggerMessage(
        2016,
        LogLevel.Warning,
        "Could not start or attach to dispatcher {DispatcherId} (attempt {Attempt}): {Cause}. "
        + "Retrying in {Delay:0.#} s",
        EventName = "DispatcherAttachFailed")]
    public static partial void DispatcherAttachFailed(
        ILogger logger,
        string dispatcherId,
        int attempt,
        string cause,
        double delay);

    [LoggerMessage(
        2017,
        LogLevel.Warning,
        "The heartbeat worker on task queue {HeartbeatTaskQueue} could not run: {Cause}. "
        + "Trying again in {Delay:0.#} s; the main worker is not affected",
        EventName = "HeartbeatWorkerFaulted")]
    public static partial void HeartbeatWorkerFaulted(
        ILogger logger,
        string heartbeatTaskQueue,
        string cause,
        double delay);

    [LoggerMessage(
        2018,
        LogLevel.Warning,
        "Dispatcher {DispatcherId} ended ({How}); its heartbeats are no longer expected. "
        + "Restart the worker to start it again",
        EventName = "DispatcherEnded")]
    public static partial void DispatcherEnded(ILogger logger, string dispatcherId, string how);

    [LoggerMessage(
        2019,
        LogLevel.Information,
        "Dispatcher {DispatcherId} now heartbeats to another worker that attached; "
        + "this worker no longer expects its heartbeats",
        EventName = "DispatcherReleased")]
    public static partial void DispatcherReleased(ILogger logger, string dispatcherId);

    [LoggerMessage(
        2020,
        LogLevel.Error,
        "Keeping dispatcher {DispatcherId} failed: {Cause}. "
        + "Its heartbeats are no longer expected until the worker restarts",
        EventName = "DispatcherKeeperFailed")]
    public static partial void DispatcherKeeperFailed(ILogger logger, string dispatcherId, string cause);
}
