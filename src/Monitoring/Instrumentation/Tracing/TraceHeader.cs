using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// The Temporal header that carries trace context between clients, workflows and activities, in the
/// shape every Temporal SDK's OpenTelemetry interceptor writes: field <c>_tracer-data</c>, a
/// <c>json/plain</c> payload holding a JSON object of the W3C propagation fields.
/// </summary>
internal static class TraceHeader
{
    /// <summary>The header the Temporal SDKs use unless told otherwise.</summary>
    public const string DefaultKey = TemporalMonitoringInterceptorOptions.DefaultHeaderKey;

    private static readonly ByteString JsonPlain = ByteString.CopyFromUtf8("json/plain");

    // 00-<32 hex>-<16 hex>-<2 hex>, as version 00 of W3C trace context has it.
    private const int TraceParentLength = 55;

    // {"traceparent":"<traceparent>"}
    private const int SimpleLength = 73;

    private static ReadOnlySpan<byte> SimplePrefix => "{\"traceparent\":\""u8;

    private static ReadOnlySpan<byte> SimpleSuffix => "\"}"u8;

    // JSON.stringify and Go's encoder leave '+', '=' and ',' alone; the default encoder would escape them.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads the context out of a header map, from the header named <paramref name="key"/>.</summary>
    /// <returns>
    /// <see cref="TraceHeaderStatus.Absent"/> when there is no header, <see cref="TraceHeaderStatus.Valid"/>
    /// with the context, or <see cref="TraceHeaderStatus.Malformed"/> when a header is there but unusable.
    /// </returns>
    public static TraceHeaderStatus TryRead(
        IReadOnlyDictionary<string, Payload>? headers, string key, out RemoteContext context)
    {
        context = default;
        if (headers is null || headers.Count == 0 || !headers.TryGetValue(key, out var payload))
        {
            return TraceHeaderStatus.Absent;
        }

        return TryParse(payload, out context) ? TraceHeaderStatus.Valid : TraceHeaderStatus.Malformed;
    }

    /// <summary>Parses one <c>_tracer-data</c> payload without allocating beyond the ids themselves.</summary>
    public static bool TryParse(Payload payload, out RemoteContext context)
    {
        context = default;
        if (!payload.Metadata.TryGetValue("encoding", out var encoding) || !encoding.Span.SequenceEqual(JsonPlain.Span))
        {
            return false;
        }

        // What every SDK writes when there is no tracestate or baggage: read it without a JSON reader.
        var data = payload.Data.Span;
        if (data.Length > TraceContextLimits.MaxHeaderBytes)
        {
            // Not read at all: a header this large is an attack or a bug, and reading it would cost in proportion.
            return false;
        }

        if (data.Length == SimpleLength && data.StartsWith(SimplePrefix) && data.EndsWith(SimpleSuffix))
        {
            if (!TryParseTraceParent(
                data.Slice(SimplePrefix.Length, TraceParentLength),
                out var simpleTrace,
                out var simpleSpan,
                out var simpleFlags))
            {
                return false;
            }

            context = new RemoteContext(
                new ActivityContext(simpleTrace, simpleSpan, simpleFlags, null, isRemote: true),
                null);
            return true;
        }

        ActivityTraceId traceId = default;
        ActivitySpanId spanId = default;
        var flags = ActivityTraceFlags.None;
        string? traceState = null;
        string? baggage = null;
        try
        {
            var reader = new Utf8JsonReader(data);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("traceparent"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped
                        || !TryParseTraceParent(reader.ValueSpan, out traceId, out spanId, out flags))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("tracestate"u8))
                {
                    if (!reader.Read())
                    {
                        return false;
                    }

                    traceState = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("baggage"u8))
                {
                    if (!reader.Read())
                    {
                        return false;
                    }

                    baggage = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (!reader.TrySkip())
                {
                    return false;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is valid JSON but not valid text (a lone
            // escaped surrogate, bad UTF-8). Whatever arrives in a header must never fail a workflow.
            return false;
        }

        if (traceId == default)
        {
            return false;
        }

        var dropped = TraceContextParts.None;
        traceState = TraceContextLimits.TraceState(traceState, ref dropped);
        baggage = TraceContextLimits.Baggage(baggage, ref dropped);
        var remote = new ActivityContext(traceId, spanId, flags, traceState, isRemote: true);
        context = new RemoteContext(remote, baggage, dropped);
        return true;
    }

    /// <summary>
    /// Parses a W3C <c>traceparent</c>: version, 32-hex trace id, 16-hex parent id and flags, all
    /// lowercase hex, ids not all zero. Any flags byte is accepted; versions above 00 may append fields.
    /// </summary>
    public static bool TryParseTraceParent(
        ReadOnlySpan<byte> value,
        out ActivityTraceId traceId,
        out ActivitySpanId spanId,
        out ActivityTraceFlags flags)
    {
        traceId = default;
        spanId = default;
        flags = ActivityTraceFlags.None;
        if (value.Length < TraceParentLength || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return false;
        }

        if (!IsLowerHex(value[..2]) || (value[0] == 'f' && value[1] == 'f'))
        {
            return false;
        }

        var isVersionZero = value[0] == '0' && value[1] == '0';
        if ((isVersionZero && value.Length != TraceParentLength)
            || (!isVersionZero && value.Length > TraceParentLength && value[TraceParentLength] != '-'))
        {
            return false;
        }

        // Lowercase hex only (W3C); decoding the bytes and letting the id format them back is about
        // twice as fast as the ids' own UTF-8 parsers, which validate the same text again.
        var text = value.Slice(3, 52);
        if (text[32] != '-'
            || text.IndexOfAnyInRange((byte)'A', (byte)'F') >= 0
            || value.Slice(53, 2).IndexOfAnyInRange((byte)'A', (byte)'F') >= 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[25];
        if (Convert.FromHexString(text[..32], bytes[..16], out _, out var written)
                != System.Buffers.OperationStatus.Done
            || written != 16
            || Convert.FromHexString(text.Slice(33, 16), bytes.Slice(16, 8), out _, out written)
                != System.Buffers.OperationStatus.Done
            || written != 8
            || Convert.FromHexString(value.Slice(53, 2), bytes.Slice(24, 1), out _, out written)
                != System.Buffers.OperationStatus.Done
            || written != 1
            || bytes[..16].IndexOfAnyExcept((byte)0) < 0 || bytes.Slice(16, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        traceId = ActivityTraceId.CreateFromBytes(bytes[..16]);
        spanId = ActivitySpanId.CreateFromBytes(bytes.Slice(16, 8));
        flags = (ActivityTraceFlags)bytes[24];
        return true;
    }

    /// <summary>Creates the header payload for a context, fields in the order the other SDKs write them.</summary>
    public static Payload Create(in ActivityContext context, string? baggage) => new()
    {
        Metadata = { ["encoding"] = JsonPlain },
        Data = string.IsNullOrEmpty(context.TraceState) && string.IsNullOrEmpty(baggage)
            ? SimpleData(context)
            : JsonData(context, baggage),
    };

    /// <summary>The header's JSON with tracestate or baggage, which may need escaping: through a JSON writer.</summary>
    private static ByteString JsonData(in ActivityContext context, string? baggage)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            Span<char> traceParent = stackalloc char[TraceParentLength];
            FormatTraceParent(context.TraceId, context.SpanId, context.TraceFlags, traceParent);
            writer.WriteString("traceparent"u8, traceParent);
            if (!string.IsNullOrEmpty(context.TraceState))
            {
                writer.WriteString("tracestate"u8, context.TraceState);
            }

            if (!string.IsNullOrEmpty(baggage))
            {
                writer.WriteString("baggage"u8, baggage);
            }

            writer.WriteEndObject();
        }

        return ByteString.CopyFrom(buffer.WrittenSpan);
    }

    /// <summary>
    /// The header as every SDK writes it when there is no tracestate or baggage, put together in the one array the
    /// payload keeps (never written to again): a JSON writer, its buffer and a copy of what it wrote were garbage
    /// on every call a workflow or client makes.
    /// </summary>
    private static ByteString SimpleData(in ActivityContext context)
    {
        var data = new byte[SimpleLength];
        SimplePrefix.CopyTo(data);
        Span<char> traceParent = stackalloc char[TraceParentLength];
        FormatTraceParent(context.TraceId, context.SpanId, context.TraceFlags, traceParent);
        System.Text.Encoding.ASCII.GetBytes(traceParent, data.AsSpan(SimplePrefix.Length, TraceParentLength));
        SimpleSuffix.CopyTo(data.AsSpan(SimpleLength - SimpleSuffix.Length));
        return UnsafeByteOperations.UnsafeWrap(data);
    }

    /// <summary>Returns a copy of <paramref name="headers"/> with the trace header set.</summary>
    public static Dictionary<string, Payload> With(
        IDictionary<string, Payload>? headers, string key, in ActivityContext context, string? baggage)
    {
        var result = headers is null ? new Dictionary<string, Payload>(1) : new Dictionary<string, Payload>(headers);
        result[key] = Create(context, baggage);
        return result;
    }

    /// <summary>
    /// Returns a copy of <paramref name="headers"/> with the trace header set from a context of this process
    /// (the caller's current span and baggage), leaving out what breaks the limits.
    /// </summary>
    public static Dictionary<string, Payload> WithLimits(
        IDictionary<string, Payload>? headers,
        string key,
        in ActivityContext context,
        string? baggage,
        out TraceContextParts dropped)
    {
        dropped = TraceContextParts.None;
        var traceState = TraceContextLimits.TraceState(context.TraceState, ref dropped);
        baggage = TraceContextLimits.Baggage(baggage, ref dropped);
        var kept = traceState == context.TraceState
            ? context
            : new ActivityContext(context.TraceId, context.SpanId, context.TraceFlags, traceState, context.IsRemote);
        return With(headers, key, kept, baggage);
    }

    public static void FormatTraceParent(
        ActivityTraceId traceId,
        ActivitySpanId spanId,
        ActivityTraceFlags flags,
        Span<char> destination)
    {
        "00-".CopyTo(destination);
        traceId.ToHexString().CopyTo(destination.Slice(3, 32));
        destination[35] = '-';
        spanId.ToHexString().CopyTo(destination.Slice(36, 16));
        destination[52] = '-';
        ((byte)flags).TryFormat(
            destination.Slice(53, 2),
            out _,
            "x2",
            System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsLowerHex(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')))
            {
                return false;
            }
        }

        return true;
    }

}
