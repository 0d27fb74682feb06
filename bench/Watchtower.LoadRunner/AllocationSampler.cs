using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Watchtower.LoadRunner;

/// <summary>
/// Samples the runtime's allocations by type, to show where the bytes go: `--profile true` prints the top types of
/// each run. It listens for .NET 10's randomized allocation sampling (an allocation picked with a chance that grows
/// with its size, about one per 100 KB): the older allocation tick charged 100 KB to whichever object happened to
/// start a new allocation context, so small objects allocated right after large ones were counted many times over.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords AllocationSampling = (EventKeywords)0x80000000000;
    private const double MeanInterval = 102_400;

    private readonly ConcurrentDictionary<string, double> byType = new(StringComparer.Ordinal);

    public IEnumerable<(string Type, long Bytes)> Top(int count) =>
        byType.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, (long)p.Value)).ToList();

    public void Clear() => byType.Clear();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, AllocationSampling);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName != "AllocationSampled" || eventData.Payload is null
            || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = names.IndexOf("TypeName") is int i and >= 0 ? eventData.Payload[i] as string ?? "?" : "?";
        var size = names.IndexOf("ObjectSize") is int j and >= 0
            ? Convert.ToDouble(eventData.Payload[j], CultureInfo.InvariantCulture)
            : MeanInterval;

        // Each sample stands for the bytes it was picked from: an object of this size is picked with probability
        // 1 - e^(-size / interval), so it counts for its size divided by that.
        var bytes = size / -double.ExpM1(-size / MeanInterval);
        byType.AddOrUpdate(type, bytes, (_, total) => total + bytes);
    }
}
