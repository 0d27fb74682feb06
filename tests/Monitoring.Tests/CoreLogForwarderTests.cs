using System.Reflection;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting.Logging;

namespace Watchtower.Monitoring.Tests;

public sealed class CoreLogForwarderTests
{
    [Theory]
    [InlineData("\"UnknownActivity\"")]
    [InlineData("ShuttingDown")]
    [InlineData(null)]
    public void CoreLogForwarder_LateActivityHeartbeat_IsDemotedToDebug(string? details)
    {
        var logged = Forward(LogLevel.Warning, "temporal_sdk_core::worker", "Activity heartbeat failed.", details);

        Assert.Equal(LogLevel.Debug, logged);
    }

    [Fact]
    public void CoreLogForwarder_HeartbeatFailingForAnotherReason_StaysAWarning()
    {
        var logged = Forward(
            LogLevel.Warning, "temporal_sdk_core::worker", "Activity heartbeat failed.", "InvalidHeartbeatTimeout");

        Assert.Equal(LogLevel.Warning, logged);
    }

    [Fact]
    public void CoreLogForwarder_PollerRetry_IsDemotedToDebug()
    {
        var logged = Forward(LogLevel.Warning, "temporal_client::retry", "gRPC call poll retried 3 times", null);

        Assert.Equal(LogLevel.Debug, logged);
    }

    [Fact]
    public void CoreLogForwarder_AnyOtherWarning_StaysAWarning()
    {
        var logged = Forward(LogLevel.Warning, "temporal_sdk_core::worker", "Workflow task failed", null);

        Assert.Equal(LogLevel.Warning, logged);
    }

    // The entry is built as the SDK builds it, so a change to its internal shape fails here rather than
    // letting harmless warnings back into a busy worker's log.
    private static LogLevel Forward(LogLevel level, string target, string message, string? details)
    {
        var entryType = typeof(Temporalio.Runtime.TemporalRuntime).Assembly.GetType("Temporalio.Bridge.ForwardedLog")
            ?? throw new InvalidOperationException("Temporalio no longer has Temporalio.Bridge.ForwardedLog");
        IReadOnlyDictionary<string, string>? fields =
            details is null ? null : new Dictionary<string, string> { ["details"] = details };
        var entry = Activator.CreateInstance(
            entryType,
            BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
            binder: null,
            [level, target, message, 0UL, fields],
            culture: null)!;
        var sink = new LevelRecorder();
        var forwarder = new CoreLogForwarder(sink);
        typeof(CoreLogForwarder).GetMethod(nameof(CoreLogForwarder.Log))!
            .MakeGenericMethod(entryType)
            .Invoke(forwarder, [level, default(EventId), entry, null, null]);
        return sink.Level ?? throw new InvalidOperationException("nothing was forwarded");
    }

    private sealed class LevelRecorder : ILogger
    {
        public LogLevel? Level { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter) => Level = logLevel;
    }
}
