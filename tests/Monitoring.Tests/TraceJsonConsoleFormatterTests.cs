using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Watchtower.Monitoring.Hosting.Logging;

namespace Watchtower.Monitoring.Tests;

public sealed class TraceJsonConsoleFormatterTests
{
    [Fact]
    public void TraceJsonConsoleFormatter_InsideAnActivityOfAWorkflow_WritesTraceIdsAndTemporalFieldsOnOneLine()
    {
        using var formatter = new TraceJsonConsoleFormatter(new StaticOptions());
        var scopes = new LoggerExternalScopeProvider();
        using var span = new Activity("RunActivity:publishDocuments").SetIdFormat(ActivityIdFormat.W3C).Start();
        using var workflowScope = scopes.Push(new Dictionary<string, object?>
        {
            ["ActivityId"] = "5",
            ["ActivityType"] = "publishDocuments",
            ["WorkflowId"] = "pipeline-1",
            ["WorkflowRunId"] = "run-1",
            ["WorkflowType"] = "DocumentPipeline",
            ["TaskQueue"] = "document-pipeline",
            ["HeartbeatDetails"] = "not copied",
        });

        var json = Format(formatter, scopes, "Published 3 documents", new EventId(1005, "Published"));

        Assert.Equal("Published 3 documents", json.GetProperty("message").GetString());
        Assert.Equal("Information", json.GetProperty("level").GetString());
        Assert.Equal("Published", json.GetProperty("event").GetString());
        Assert.Equal(span.TraceId.ToHexString(), json.GetProperty("trace_id").GetString());
        Assert.Equal(span.SpanId.ToHexString(), json.GetProperty("span_id").GetString());
        Assert.Equal("pipeline-1", json.GetProperty("workflow_id").GetString());
        Assert.Equal("run-1", json.GetProperty("run_id").GetString());
        Assert.Equal("DocumentPipeline", json.GetProperty("workflow_type").GetString());
        Assert.Equal("publishDocuments", json.GetProperty("activity_type").GetString());
        Assert.False(json.TryGetProperty("HeartbeatDetails", out _));
    }

    [Fact]
    public void TraceJsonConsoleFormatter_OutsideAnySpan_NoTraceFields()
    {
        using var formatter = new TraceJsonConsoleFormatter(new StaticOptions());
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var json = Format(formatter, new LoggerExternalScopeProvider(), "Worker polling task queue q", default);

            Assert.False(json.TryGetProperty("trace_id", out _));
            Assert.False(json.TryGetProperty("workflow_id", out _));
            Assert.Equal("Worker polling task queue q", json.GetProperty("message").GetString());
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    [Fact]
    public void TraceJsonConsoleFormatter_ServiceNameFromTheEnvironment_OnEveryLine()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Monitoring:ServiceName"] = "from-section",
            ["OTEL_SERVICE_NAME"] = "billing-worker",
        }).Build();
        using var formatter = new TraceJsonConsoleFormatter(new StaticOptions(), configuration);

        var json = Format(formatter, new LoggerExternalScopeProvider(), "Worker polling task queue q", default);

        Assert.Equal("billing-worker", json.GetProperty("service").GetString());
    }

    [Fact]
    public void TraceJsonConsoleFormatter_NoConfiguration_DefaultServiceName()
    {
        using var formatter = new TraceJsonConsoleFormatter(new StaticOptions());

        var json = Format(formatter, new LoggerExternalScopeProvider(), "Worker polling task queue q", default);

        Assert.Equal("watchtower-worker", json.GetProperty("service").GetString());
    }

    [Theory]
    [InlineData("DurationMs", 1234.5, 1234.5)]
    [InlineData("DurationMs", 7, 7.0)]
    [InlineData("Duration", "00:00:02.5", 2500.0)]
    public void TraceJsonConsoleFormatter_OperationEnded_WritesDurationMs(string key, object value, double expected)
    {
        using var formatter = new TraceJsonConsoleFormatter(new StaticOptions());
        var state = new List<KeyValuePair<string, object?>>
        {
            new("Count", 3),
            new(key, value is string text ? TimeSpan.Parse(text, CultureInfo.InvariantCulture) : value),
        };

        var json = Format(formatter, new LoggerExternalScopeProvider(), "Published 3 documents", default, state);

        Assert.Equal(expected, json.GetProperty("duration_ms").GetDouble());
        Assert.False(json.TryGetProperty("Count", out _));
    }

    [Fact]
    public void TraceJsonConsoleFormatter_DurationOfTheWrongType_LeftOut()
    {
        using var formatter = new TraceJsonConsoleFormatter(new StaticOptions());
        var state = new List<KeyValuePair<string, object?>> { new("DurationMs", "soon") };

        var json = Format(formatter, new LoggerExternalScopeProvider(), "Published", default, state);

        Assert.False(json.TryGetProperty("duration_ms", out _));
    }

    private static JsonElement Format(
        TraceJsonConsoleFormatter formatter,
        IExternalScopeProvider scopes,
        string message,
        EventId eventId,
        IReadOnlyList<KeyValuePair<string, object?>>? state = null)
    {
        using var writer = new StringWriter();
        formatter.Write(
            new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(
                LogLevel.Information, "Test", eventId, state ?? [], null, (_, _) => message),
            scopes,
            writer);
        var text = writer.ToString();
        Assert.Single(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private sealed class StaticOptions : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue { get; } = new() { UseUtcTimestamp = true };

        public ConsoleFormatterOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }
}
