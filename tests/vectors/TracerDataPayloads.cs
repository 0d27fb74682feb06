using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;

namespace Watchtower.Tests.Vectors;

/// <summary>
/// Reads the recorded Go and TypeScript tracing output in this folder: where it is, and the exact
/// <c>_tracer-data</c> payloads in its histories. Compiled into each test project that uses it.
/// </summary>
internal static class TracerDataPayloads
{
    /// <summary>Gets the <c>tests/vectors/tracing</c> folder, found above the test's output folder.</summary>
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "vectors", "tracing");
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("tests/vectors/tracing not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Every <c>_tracer-data</c> payload under a history element, in document order, byte for byte.</summary>
    public static List<Payload> In(JsonElement element)
    {
        var found = new List<Payload>();
        Collect(element, found);
        return found;
    }

    private static void Collect(JsonElement element, List<Payload> found)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "_tracer-data")
                {
                    var payload = new Payload
                    {
                        Data = ByteString.FromBase64(property.Value.GetProperty("data").GetString()!),
                    };
                    foreach (var meta in property.Value.GetProperty("metadata").EnumerateObject())
                    {
                        payload.Metadata[meta.Name] = ByteString.FromBase64(meta.Value.GetString()!);
                    }

                    found.Add(payload);
                }
                else
                {
                    Collect(property.Value, found);
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, found);
            }
        }
    }
}
