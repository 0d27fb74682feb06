namespace Watchtower.Monitoring.SdkMetrics;

/// <summary>
/// A label set Core asked for (<see cref="TagSets"/>): what <see cref="TemporalSdkMetricMeter.CreateTags"/> hands
/// Core, and Core hands back to extend or to record with.
/// </summary>
/// <param name="items">The labels, merged and bounded; never changed once made.</param>
/// <param name="index">The set's number among those kept, from 0; -1 for a set past the cap, not kept.</param>
internal sealed class SdkTagSet(KeyValuePair<string, object?>[] items, int index)
{
    public KeyValuePair<string, object?>[] Items => items;

    public int Index => index;
}
