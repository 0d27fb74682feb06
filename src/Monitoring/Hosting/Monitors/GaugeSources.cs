using System.Collections.Concurrent;

namespace Watchtower.Monitoring.Hosting.Monitors;

/// <summary>
/// The live instances a process-wide gauge reads. Observable gauges are created once on the process's
/// one Meter, while monitors belong to a host and a process may run several hosts (tests do): each
/// monitor joins here once it works and leaves when it is disposed, so a gauge never reports a monitor
/// that fell back or was stopped.
/// </summary>
/// <typeparam name="T">The kind of monitor.</typeparam>
internal static class GaugeSources<T>
    where T : class
{
    private static readonly ConcurrentDictionary<T, byte> Live = new();

    /// <summary>Gets the live instances, in no particular order.</summary>
    public static ICollection<T> All => Live.Keys;

    /// <summary>Gets the first live instance, for gauges of which one host speaks for the whole process.</summary>
    public static T? Any
    {
        get
        {
            foreach (var (source, _) in Live)
            {
                return source;
            }

            return null;
        }
    }

    public static void Join(T source) => Live[source] = 0;

    public static void Leave(T source) => Live.TryRemove(source, out _);
}
