using System.Text.Json;
using Temporalio.Api.Common.V1;
using Watchtower.Tests.Vectors;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The recorded output of the TypeScript and Go SDKs (tests/vectors/tracing): the exact
/// <c>_tracer-data</c> payloads from their histories, and their spans.
/// </summary>
internal sealed class Vectors
{
    private Vectors(string sdk, JsonDocument history, JsonDocument spans)
    {
        Sdk = sdk;
        History = history;
        Spans = spans;
    }

    public string Sdk { get; }

    public JsonDocument History { get; }

    public JsonDocument Spans { get; }

    public static Vectors Load(string sdk)
    {
        var folder = Path.Combine(TracerDataPayloads.Directory, sdk);
        return new(
            sdk,
            JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "history.json"))),
            JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "spans.json"))));
    }

    /// <summary>The header payload of the first event of a type, byte for byte.</summary>
    public Payload Header(string eventType)
    {
        foreach (var e in History.RootElement.GetProperty("events").EnumerateArray())
        {
            if (e.GetProperty("eventType").GetString() == eventType && TracerDataPayloads.In(e) is [var payload, ..])
            {
                return payload;
            }
        }

        throw new InvalidOperationException($"No {eventType} with a _tracer-data header in the {Sdk} vectors");
    }

    /// <summary>The span the SDK recorded with this id.</summary>
    public (string Name, string TraceId) Span(string spanId)
    {
        foreach (var s in Spans.RootElement.GetProperty("spans").EnumerateArray())
        {
            if (s.GetProperty("spanId").GetString() == spanId)
            {
                return (s.GetProperty("name").GetString()!, s.GetProperty("traceId").GetString()!);
            }
        }

        throw new InvalidOperationException($"No span {spanId} in the {Sdk} vectors");
    }

    /// <summary>Trace id and span id named by a header's traceparent.</summary>
    public static (string TraceId, string SpanId) Parent(Payload header)
    {
        using var json = JsonDocument.Parse(header.Data.ToStringUtf8());
        var parts = json.RootElement.GetProperty("traceparent").GetString()!.Split('-');
        return (parts[1], parts[2]);
    }
}
