using System.Diagnostics;
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

    public static void Add(Activity span, ISet<string> names)
    {
        if (names.Count == 0)
        {
            return;
        }

        foreach (var (key, value) in Workflow.TypedSearchAttributes.UntypedValues)
        {
            if (names.Contains(key.Name) && TagValue(value) is { } tag)
            {
                span.SetTag(SpanTags.SearchAttributePrefix + key.Name, tag);
            }
        }
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
