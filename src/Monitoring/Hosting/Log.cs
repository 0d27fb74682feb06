using Microsoft.Extensions.Logging;

namespace Watchtower.Monitoring.Hosting;

/// <summary>The hosting side's log messages. Event ids 3002-3004 and 3010-3099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3002, EventName = "ScrapeEndpointListening", Level = LogLevel.Information,
        Message = "Prometheus metrics at {Url}")]
    public static partial void ScrapeEndpointListening(ILogger logger, string url);

    [LoggerMessage(EventId = 3003, EventName = "ScrapeEndpointFailed", Level = LogLevel.Warning,
        Message = "Prometheus scrape endpoint {Url} could not start; "
            + "metrics stay available over OTLP if configured, and the worker carries on: {Reason}")]
    public static partial void ScrapeEndpointFailed(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 3050, EventName = "ScrapeAnswersMayWait", Level = LogLevel.Information,
        Message = "Scrape answers on port {Port} keep Nagle's algorithm, so a large one can wait for the scraper's "
            + "delayed acknowledgement (40 ms or more on Linux): {Reason}")]
    public static partial void ScrapeAnswersMayWait(ILogger logger, int port, string reason);

    [LoggerMessage(EventId = 3004, EventName = "OtlpExportEnabled", Level = LogLevel.Information,
        Message = "Exporting traces and metrics over OTLP ({Protocol}) to {Endpoint} as service {ServiceName}")]
    public static partial void OtlpExportEnabled(ILogger logger, string protocol, string endpoint, string serviceName);

    [LoggerMessage(EventId = 3010, EventName = "DispatcherRegistered", Level = LogLevel.Information,
        Message = "Dispatcher {DispatcherId} registered; stale after {StaleAfterSeconds} s without a heartbeat")]
    public static partial void DispatcherRegistered(ILogger logger, string dispatcherId, double staleAfterSeconds);

    [LoggerMessage(EventId = 3011, EventName = "DispatcherUnregistered", Level = LogLevel.Information,
        Message = "Dispatcher {DispatcherId} unregistered")]
    public static partial void DispatcherUnregistered(ILogger logger, string dispatcherId);

    [LoggerMessage(EventId = 3012, EventName = "DispatcherStale", Level = LogLevel.Warning,
        Message = "Dispatcher {DispatcherId} is stale: "
            + "no heartbeat for {SilentSeconds:F0} s (allowed {StaleAfterSeconds} s)")]
    public static partial void DispatcherStale(
        ILogger logger,
        string dispatcherId,
        double silentSeconds,
        double staleAfterSeconds);

    [LoggerMessage(EventId = 3013, EventName = "DispatcherRecovered", Level = LogLevel.Information,
        Message = "Dispatcher {DispatcherId} is heartbeating again")]
    public static partial void DispatcherRecovered(ILogger logger, string dispatcherId);

    [LoggerMessage(EventId = 3020, EventName = "MemoryStateChanged", Level = LogLevel.Warning,
        Message = "Memory is {State}: working set {WorkingSetMiB:F0} MiB of a {LimitMiB:F0} MiB limit ({Fraction:P0})")]
    public static partial void MemoryStateChanged(
        ILogger logger,
        string state,
        double workingSetMiB,
        double limitMiB,
        double fraction);

    [LoggerMessage(EventId = 3023, EventName = "MemoryRecovered", Level = LogLevel.Information,
        Message = "Memory is healthy again: "
            + "working set {WorkingSetMiB:F0} MiB of a {LimitMiB:F0} MiB limit ({Fraction:P0})")]
    public static partial void MemoryRecovered(ILogger logger, double workingSetMiB, double limitMiB, double fraction);

    [LoggerMessage(EventId = 3021, EventName = "MemoryGrowthSuspected", Level = LogLevel.Warning,
        Message = "The heap left after collections has grown by {KiBPerSecond:F1} KiB/s for {WindowMinutes} min: "
            + "a possible leak")]
    public static partial void MemoryGrowthSuspected(ILogger logger, double kiBPerSecond, double windowMinutes);

    [LoggerMessage(EventId = 3022, EventName = "MemoryGrowthEnded", Level = LogLevel.Information,
        Message = "The heap left after collections is no longer growing")]
    public static partial void MemoryGrowthEnded(ILogger logger);

    [LoggerMessage(EventId = 3030, EventName = "MonitorFellBack", Level = LogLevel.Warning,
        Message = "Monitor {Monitor} could not start and does nothing from now on; the worker carries on: {Reason}")]
    public static partial void MonitorFellBack(ILogger logger, string monitor, string reason);

    [LoggerMessage(EventId = 3031, EventName = "HealthRequestFailed", Level = LogLevel.Warning,
        Message = "A health request could not be answered ({ExceptionType}: {Reason}); the worker carries on")]
    public static partial void HealthRequestFailed(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(EventId = 3032, EventName = "MonitorFailed", Level = LogLevel.Warning,
        Message = "Monitor {Monitor} failed while running ({ExceptionType}: {Reason}) and does nothing from now on; "
            + "the worker carries on")]
    public static partial void MonitorFailed(ILogger logger, string monitor, string exceptionType, string reason);

    [LoggerMessage(EventId = 3040, EventName = "OtlpExportFailing", Level = LogLevel.Warning,
        Message = "OTLP export of {Signal} to {Endpoint} failed ({Reason}); those {Signal} are lost unless a retry "
            + "gets through, the worker carries on. {Failures} failed requests in all so far")]
    public static partial void OtlpExportFailing(
        ILogger logger, string signal, string endpoint, string reason, long failures);

    [LoggerMessage(EventId = 3041, EventName = "OtlpExportRecovered", Level = LogLevel.Information,
        Message = "OTLP export of {Signal} to {Endpoint} works again")]
    public static partial void OtlpExportRecovered(ILogger logger, string signal, string endpoint);
}
