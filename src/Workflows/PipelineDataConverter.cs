using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace Watchtower.Workflows;

/// <summary>
/// The data converter every client, worker and replayer of these workflows uses: JSON with camelCase
/// names and enums as strings, so what people type into <c>temporal workflow start --input</c> and
/// what the CLI and Web UI show back reads like ordinary JSON. Arguments implementing
/// <see cref="IWorkflowInput"/> that do not fit their type arrive with the reason instead of failing
/// the workflow task.
/// </summary>
public static class PipelineDataConverter
{
    /// <summary>Gets the serializer options for workflow inputs, results, signals, queries and updates.</summary>
    public static JsonSerializerOptions SerializerOptions { get; } = CreateSerializerOptions();

    /// <summary>Gets the converter to set on <c>TemporalClientConnectOptions.DataConverter</c> and on replayers.</summary>
    public static DataConverter Instance { get; } =
        DataConverter.Default with { PayloadConverter = new TolerantPayloadConverter(new DefaultPayloadConverter(SerializerOptions)) };

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        // Web defaults: camelCase and case-insensitive property names; numbers may arrive as strings.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Describes a JSON error by the field it is about, without echoing the value.</summary>
    /// <param name="exception">The deserialization failure.</param>
    /// <returns>A one-line message.</returns>
    internal static string Describe(JsonException exception)
    {
        var field = string.IsNullOrEmpty(exception.Path) || exception.Path == "$" ? "the input" : $"'{exception.Path.TrimStart('$', '.')}'";
        // The serializer's own text names .NET types, which mean nothing to someone typing JSON.
        return exception.Message.Contains("could not be converted", StringComparison.Ordinal)
            ? $"{field} has the wrong type"
            : $"{field} is not valid JSON for this field";
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
            catch (JsonException e) when (typeof(IWorkflowInput).IsAssignableFrom(type) && !type.IsAbstract)
            {
                // Rare path, so reflection is fine: an empty instance that only carries the reason.
                var empty = RuntimeHelpers.GetUninitializedObject(type);
                type.GetProperty(nameof(IWorkflowInput.DecodeError))!.SetValue(empty, Describe(e));
                return empty;
            }
        }
    }
}
