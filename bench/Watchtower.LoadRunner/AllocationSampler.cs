using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Watchtower.LoadRunner;

/// <summary>
/// Samples the runtime's allocation ticks (one per ~100 KB allocated) by type, to show where the
/// bytes go: `--profile true` prints the top types of each run.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private readonly ConcurrentDictionary<string, long> byType = new(StringComparer.Ordinal);

    public IEnumerable<(string Type, long Bytes)> Top(int count) =>
        byType.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, p.Value)).ToList();

    public void Clear() => byType.Clear();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name
            || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal)
            || eventData.Payload is null)
        {
            return;
        }

        var type = eventData.PayloadNames?.IndexOf("TypeName") is int i and >= 0
            ? eventData.Payload[i] as string ?? "?"
            : "?";
        var amount = eventData.PayloadNames?.IndexOf("AllocationAmount64") is int j and >= 0
            ? Convert.ToInt64(eventData.Payload[j], System.Globalization.CultureInfo.InvariantCulture)
            : 100_000;
        byType.AddOrUpdate(type, amount, (_, total) => total + amount);
    }
}
