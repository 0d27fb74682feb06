using System.Collections.Concurrent;

namespace Watchtower.Monitoring.Tracing;

/// <summary>
/// Span names of one kind (<c>StartActivity:</c> and the type), each built once: every run calls the same few
/// types, and a name concatenated per call was garbage on every span.
/// </summary>
/// <param name="prefix">The operation, with its colon.</param>
internal sealed class SpanNames(string prefix)
{
    /// <summary>
    /// Workflow code may make type names up as it runs: past about this many (threads racing at the bound may each
    /// add one; counting exactly would lock the whole dictionary on every miss), names are built per call instead.
    /// </summary>
    internal const int MaxKept = 1_000;

    private readonly ConcurrentDictionary<string, string> names = new(StringComparer.Ordinal);
    private int kept;

    public string For(string type)
    {
        if (names.TryGetValue(type, out var name))
        {
            return name;
        }

        name = prefix + type;
        if (Volatile.Read(ref kept) < MaxKept && names.TryAdd(type, name))
        {
            Interlocked.Increment(ref kept);
        }

        return name;
    }
}
