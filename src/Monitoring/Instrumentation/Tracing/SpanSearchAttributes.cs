using System.Globalization;
using Temporalio.Workflows;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Puts the search attributes a user named (<see cref="TemporalMonitoringInterceptorOptions.SpanSearchAttributes"/>)
/// on a run's span, as they stand when the run ends: what the run was for (a customer tier, a region), so traces
/// can be searched the way runs are. Only named ones: any other may hold what must not leave Temporal.
/// </summary>
internal static class SpanSearchAttributes
{
    /// <summary>Longest text value kept; a search attribute is for searching, not for carrying data.</summary>
    public const int MaxValueLength = 256;

    /// <summary>Most values of a keyword list kept.</summary>
    public const int MaxListValues = 16;

    /// <summary>
    /// The tags for the named search attributes, read on the workflow's thread (only there can they be read) for a
    /// span emitted elsewhere; null when none is named or set.
    /// </summary>
    public static List<KeyValuePair<string, object?>>? Collect(ISet<string> names)
    {
        if (names.Count == 0)
        {
            return null;
        }

        List<KeyValuePair<string, object?>>? tags = null;
        foreach (var (key, value) in Workflow.TypedSearchAttributes.UntypedValues)
        {
            if (names.Contains(key.Name) && TagValue(value) is { } tag)
            {
                (tags ??= []).Add(new(SpanTags.SearchAttributePrefix + key.Name, tag));
            }
        }

        return tags;
    }

    private static object? TagValue(object value) => value switch
    {
        string text => Bounded(text),
        long or double or bool => value,
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        IEnumerable<string> list => list.Take(MaxListValues).Select(Bounded).ToArray(),
        _ => null,
    };

    private static string Bounded(string text) => text.Length <= MaxValueLength ? text : text[..MaxValueLength];
}
