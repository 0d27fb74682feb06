using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
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
    public static ActivitySpanId ForSpan(string runId, string kind, long sequence)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(runId, kind, sequence, null, hash);
        var bytes = hash[..8];
        if (bytes.IndexOfAnyExcept((byte)0) < 0)
        {
            bytes[7] = 1;
        }

        return ActivitySpanId.CreateFromBytes(bytes);
    }

    public static ActivitySpanId ForSpan(string runId, string kind, string key)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(runId, kind, 0, key, hash);
        var bytes = hash[..8];
        if (bytes.IndexOfAnyExcept((byte)0) < 0)
        {
            bytes[7] = 1;
        }

        return ActivitySpanId.CreateFromBytes(bytes);
    }

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

/// <summary>
/// Gives a started <see cref="Activity"/> ids of our choosing. System.Diagnostics has no public way to
/// do that; the fields are reached with <see cref="UnsafeAccessorAttribute"/> and the capability is
/// probed once, so a runtime that renamed them turns deferred workflow spans off instead of failing.
/// </summary>
internal static class ActivityIdOverride
{
    private static readonly Lazy<Exception?> ProbeResult = new(Probe);

    /// <summary>Null when ids can be set; otherwise why not.</summary>
    public static Exception? Unsupported => ProbeResult.Value;

    /// <summary>Sets the span id (and, when given, the trace id) of an activity created but not yet exported.</summary>
    public static void Set(Activity activity, ActivitySpanId spanId, ActivityTraceId? traceId = null)
    {
        if (traceId is { } trace)
        {
            TraceIdField(activity) = trace.ToHexString();
        }

        SpanIdField(activity) = spanId.ToHexString();

        // The W3C id string is derived lazily from the parts; drop any cached one.
        IdField(activity) = null;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_spanId")]
    private static extern ref string? SpanIdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_traceId")]
    private static extern ref string? TraceIdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_id")]
    private static extern ref string? IdField(Activity activity);

    private static Exception? Probe()
    {
        try
        {
            var activity = new Activity("probe");
            activity.SetIdFormat(ActivityIdFormat.W3C);
            var trace = ActivityTraceId.CreateRandom();
            var span = ActivitySpanId.CreateRandom();
            activity.Start();
            Set(activity, span, trace);
            var ok = activity.SpanId == span && activity.TraceId == trace && activity.Id is { } id && id.Contains(span.ToHexString(), StringComparison.Ordinal);
            activity.Stop();
            return ok ? null : new InvalidOperationException("System.Diagnostics.Activity ignored the span id set on it.");
        }
        catch (Exception e) when (e is MissingFieldException or MissingMemberException or InvalidOperationException)
        {
            return e;
        }
    }
}
