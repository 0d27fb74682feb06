using System.Globalization;

namespace Watchtower.LoadRunner;

/// <summary>
/// The time the hypervisor ran something else on this machine's cores (the <c>steal</c> column of
/// <c>/proc/stat</c>): the one disturbance of a virtual machine that its own processes cannot see in their CPU
/// time, yet that makes the same work cost them more.
/// </summary>
internal static class StolenTime
{
    // USER_HZ: /proc/stat counts in hundredths of a second on every Linux this runs on.
    private const double TicksPerSecond = 100;

    /// <summary>Each core's stolen ticks so far; empty where there is no /proc/stat.</summary>
    public static long[] Read()
    {
        if (!File.Exists("/proc/stat"))
        {
            return [];
        }

        return File.ReadLines("/proc/stat")
            .Where(line => line.StartsWith("cpu", StringComparison.Ordinal) && char.IsDigit(line[3]))
            .Select(line => long.Parse(
                line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[8], CultureInfo.InvariantCulture))
            .ToArray();
    }

    /// <summary>The largest share of one core's time stolen between two readings.</summary>
    public static double Share(long[] before, long[] after, TimeSpan elapsed) =>
        before.Length == 0 || before.Length != after.Length || elapsed <= TimeSpan.Zero
            ? 0
            : before.Zip(after, (b, a) => a - b).Max() / TicksPerSecond / elapsed.TotalSeconds;
}
