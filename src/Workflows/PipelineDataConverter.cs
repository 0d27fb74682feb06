using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace Watchtower.Workflows;

/// <summary>
/// The data converter every client, worker and replayer of these workflows uses: JSON with camelCase
/// names and enums as strings, so what people type into <c>temporal workflow start --input</c> and
/// what the CLI and Web UI show back reads like ordinary JSON. Arguments implementing
/// <see cref="IWorkflowInput"/> that cannot be read (wrong types, not JSON at all) arrive with the reason
/// instead of failing the workflow task.
/// </summary>
public static class PipelineDataConverter
{
    /// <summary>Gets the serializer options for workflow inputs, results, signals, queries and updates.</summary>
    public static JsonSerializerOptions SerializerOptions { get; } = CreateSerializerOptions();

    /// <summary>
    /// Gets the converter to set on <c>TemporalClientConnectOptions.DataConverter</c> and on replayers.
    /// </summary>
    public static DataConverter Instance { get; } =
        DataConverter.Default with
        {
            PayloadConverter = new TolerantPayloadConverter(new DefaultPayloadConverter(SerializerOptions)),
        };

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        // Web defaults: camelCase and case-insensitive property names; numbers may arrive as strings.
        // Text is written as it is (UTF-8), not escaped: the default encoder writes every non-ASCII
        // character and < > & ' + as a 6-byte \uXXXX, so a payload the worker sends on (a batch, the
        // publish request) could be up to twice the size of the input that passed validation. Payloads
        // are data for Temporal, never HTML, so the relaxed encoder's HTML-safety does not matter here.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Describes a JSON error by the field it is about, without echoing the value.</summary>
    /// <param name="exception">The deserialization failure.</param>
    /// <returns>A one-line message.</returns>
    internal static string Describe(JsonException exception)
    {
        var path = exception.Path?.TrimStart('$', '.') ?? string.Empty;
        var field = path.Length == 0 ? "the input" : $"'{(path.Length <= 100 ? path : path[..100] + "...")}'";

        // The serializer's own text names .NET types, which mean nothing to someone typing JSON.
        return exception.Message.Contains("could not be converted", StringComparison.Ordinal)
            ? $"{field} has the wrong type"
            : $"{field} is not valid JSON for this field";
    }

    /// <summary>
    /// Bytes <paramref name="value"/> takes as a payload's data: JSON as this converter writes it. Counted,
    /// not kept, so measuring a large payload allocates no copy of it.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>The byte count.</returns>
    public static long EncodedBytes(object? value)
    {
        var counter = new ByteCounter();
        using (var writer = new Utf8JsonWriter(counter, new JsonWriterOptions { Encoder = SerializerOptions.Encoder }))
        {
            JsonSerializer.Serialize(writer, value, value?.GetType() ?? typeof(object), SerializerOptions);
        }

        return counter.Count;
    }

    /// <summary>Why a payload that is not this converter's JSON cannot be read, without echoing its content.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="exception">What the converter threw.</param>
    /// <returns>A one-line message.</returns>
    internal static string Describe(Payload payload, Exception exception)
    {
        if (exception is JsonException json)
        {
            return Describe(json);
        }

        if (!payload.Metadata.TryGetValue("encoding", out var encoding) || encoding.IsEmpty)
        {
            return "the input has no encoding metadata; send JSON (encoding json/plain)";
        }

        var name = encoding.ToStringUtf8();
        return name == "json/plain"
            ? "the input is not valid UTF-8 JSON"
            : $"the input has encoding '{(name.Length <= 40 ? name : name[..40] + "...")}'; "
                + "send JSON (encoding json/plain)";
    }

    private sealed class TolerantPayloadConverter(IPayloadConverter inner) : IPayloadConverter
    {
        public Payload ToPayload(object? value) => inner.ToPayload(value);

        public object? ToValue(Payload payload, Type type)
        {
            try
            {
                return inner.ToValue(payload, type);
            }
            catch (Exception e) when (!typeof(IWorkflowInput).IsAssignableFrom(type) && e is not OutOfMemoryException)
            {
                // Other arguments (an update's list of documents) still fail to decode, which rejects the
                // update or drops the signal, but say why in a caller's terms, not in .NET type names.
                // The .NET exception stays out: its text, which names .NET types, would travel as the cause.
                throw new JsonException(
                    Describe(payload, e).Replace("the input", "the argument", StringComparison.Ordinal));
            }
            catch (Exception e) when (!type.IsAbstract && e is not OutOfMemoryException)
            {
                // Whatever the payload is (bad JSON, another encoding, no metadata, bytes that are not
                // UTF-8), the workflow gets an empty instance that carries the reason and fails, rejects or
                // ignores it readably: a throw here would fail the workflow task and retry it for ever.
                // Rare path, so reflection is fine.
                var empty = RuntimeHelpers.GetUninitializedObject(type);
                type.GetProperty(nameof(IWorkflowInput.DecodeError))!.SetValue(empty, Describe(payload, e));
                return empty;
            }
        }
    }

    /// <summary>Counts what a writer writes into a scratch buffer it reuses.</summary>
    private sealed class ByteCounter : System.Buffers.IBufferWriter<byte>
    {
        private byte[] scratch = new byte[4096];

        public long Count { get; private set; }

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint).Span;

        private Memory<byte> Scratch(int sizeHint)
        {
            if (sizeHint > scratch.Length)
            {
                scratch = new byte[sizeHint];
            }

            return scratch;
        }
    }
}
