using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Watchtower.Monitoring.Hosting.Logging;

/// <summary>
/// One JSON object per line, with the <c>service</c> it came from, the current span's <c>trace_id</c> and
/// <c>span_id</c> and, inside a workflow or an activity, its ids and types as top-level fields (from the scopes the
/// Temporal SDK opens), so a log line can be found from its trace and the other way round. A line that says an
/// operation ended carries <c>duration_ms</c>, from a <c>DurationMs</c> number or a <c>Duration</c> time span in its
/// message's properties. The console logger formats on the thread that logs, where <see cref="Activity.Current"/>
/// is the caller's.
/// </summary>
internal sealed class TraceJsonConsoleFormatter : ConsoleFormatter, IDisposable
{
    public const string FormatterName = "json-trace";

    // Scope keys the SDK uses, and the field each becomes.
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["WorkflowId"] = "workflow_id",
        ["RunId"] = "run_id",
        ["WorkflowRunId"] = "run_id",
        ["WorkflowType"] = "workflow_type",
        ["ActivityType"] = "activity_type",
        ["ActivityId"] = "activity_id",
        ["TaskQueue"] = "task_queue",
        ["Namespace"] = "namespace",
        ["UpdateId"] = "update_id",
        ["UpdateName"] = "update_name",
        ["Attempt"] = "attempt",
    };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IDisposable? reload;
    private readonly string service;
    private ConsoleFormatterOptions options;

    /// <summary>Initializes a new instance of the <see cref="TraceJsonConsoleFormatter"/> class.</summary>
    /// <param name="options">The console formatter's options.</param>
    /// <param name="configuration">Where the service name comes from, as for spans and metrics; read here
    /// rather than through the validated monitoring options, whose failure must stop start-up with its own
    /// message and not break the logger that would say it.</param>
    public TraceJsonConsoleFormatter(
        IOptionsMonitor<ConsoleFormatterOptions> options, IConfiguration? configuration = null)
        : base(FormatterName)
    {
        this.options = options.CurrentValue;
        reload = options.OnChange(o => this.options = o);
        service = MonitoringSettings.ServiceName(configuration);
    }

    public void Dispose() => reload?.Dispose();

    public override void Write<TState>(
        in LogEntry<TState> logEntry,
        IExternalScopeProvider? scopeProvider,
        TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString(
                "timestamp",
                (options.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now)
                    .ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("level", logEntry.LogLevel.ToString());
            writer.WriteString("service", service);
            writer.WriteString("category", logEntry.Category);
            if (logEntry.EventId.Name is { } eventName)
            {
                writer.WriteString("event", eventName);
            }

            writer.WriteString("message", message);
            if (DurationMs(logEntry.State) is { } duration)
            {
                writer.WriteNumber("duration_ms", duration);
            }

            if (logEntry.Exception is { } exception)
            {
                writer.WriteString("exception", exception.ToString());
            }

            if (Activity.Current is { } current)
            {
                writer.WriteString("trace_id", current.TraceId.ToHexString());
                writer.WriteString("span_id", current.SpanId.ToHexString());
            }

            var written = new HashSet<string>(StringComparer.Ordinal);
            scopeProvider?.ForEachScope(
                static (scope, state) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (key, value) in pairs)
                        {
                            if (Fields.TryGetValue(key, out var field) && value is not null && state.Written.Add(field))
                            {
                                state.Writer.WriteString(
                                    field,
                                    Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                            }
                        }
                    }
                },
                (Writer: writer, Written: written));
            writer.WriteEndObject();
        }

        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write(Environment.NewLine);
    }

    /// <summary>How long the operation the line reports took, when its message says so.</summary>
    private static double? DurationMs<TState>(TState state)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> properties)
        {
            return null;
        }

        for (var i = 0; i < properties.Count; i++)
        {
            switch (properties[i])
            {
                case { Key: "DurationMs", Value: double or float or int or long or decimal }:
                    return Convert.ToDouble(properties[i].Value, System.Globalization.CultureInfo.InvariantCulture);
                case { Key: "Duration", Value: TimeSpan span }:
                    return span.TotalMilliseconds;
            }
        }

        return null;
    }
}
