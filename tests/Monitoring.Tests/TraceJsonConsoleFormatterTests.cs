using System.Diagnostics;
using System.Text.Json;
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

    private static JsonElement Format(
        TraceJsonConsoleFormatter formatter,
        IExternalScopeProvider scopes,
        string message,
        EventId eventId)
    {
        using var writer = new StringWriter();
        formatter.Write(
            new LogEntry<string>(LogLevel.Information, "Test", eventId, message, null, (s, _) => s),
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
