using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Watchtower.Monitoring.Tracing;

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
            var ok = activity.SpanId == span
                && activity.TraceId == trace
                && activity.Id is { } id
                && id.Contains(span.ToHexString(), StringComparison.Ordinal);
            activity.Stop();
            return ok
                ? null
                : new InvalidOperationException("System.Diagnostics.Activity ignored the span id set on it.");
        }
        catch (Exception e) when (e is MissingFieldException or MissingMemberException or InvalidOperationException)
        {
            return e;
        }
    }
}
