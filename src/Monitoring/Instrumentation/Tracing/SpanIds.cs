using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Span and trace ids derived from a workflow run, so that every replay of the run, on this worker
/// or another, names its spans the same. Outbound calls carry a span id in their headers long before
/// the span that owns it is emitted at the end of the run; both must agree without shared state.
/// </summary>
internal static class SpanIds
{
    public static ActivitySpanId ForSpan(string runId, string kind, long sequence) =>
        SpanId(runId, kind, sequence, null);

    public static ActivitySpanId ForSpan(string runId, string kind, string key) => SpanId(runId, kind, 0, key);

    /// <summary>The trace id of a run that started without a trace context of its own.</summary>
    public static ActivityTraceId ForRootTrace(string runId)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(runId, "trace", 0, null, hash);
        var bytes = hash[..16];
        if (bytes.IndexOfAnyExcept((byte)0) < 0)
        {
            bytes[15] = 1;
        }

        return ActivityTraceId.CreateFromBytes(bytes);
    }

    private static ActivitySpanId SpanId(string runId, string kind, long sequence, string? key)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(runId, kind, sequence, key, hash);
        var bytes = hash[..8];
        if (bytes.IndexOfAnyExcept((byte)0) < 0)
        {
            bytes[7] = 1;
        }

        return ActivitySpanId.CreateFromBytes(bytes);
    }

    private static void Hash(string runId, string kind, long sequence, string? key, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetMaxByteCount(runId.Length + kind.Length + (key?.Length ?? 0)) + 16;
        var buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        var written = Encoding.UTF8.GetBytes(runId, buffer);
        buffer[written++] = 0;
        written += Encoding.UTF8.GetBytes(kind, buffer[written..]);
        buffer[written++] = 0;
        if (key is null)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer[written..], sequence);
            written += 8;
        }
        else
        {
            written += Encoding.UTF8.GetBytes(key, buffer[written..]);
        }

        SHA256.HashData(buffer[..written], destination);
    }
}
