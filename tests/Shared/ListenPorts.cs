using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Watchtower.Tests.Shared;

/// <summary>
/// Loopback ports nothing listens on, for a listener started after its port is picked (a test's, or a process the
/// load runner starts). They come from below the kernel's range for outgoing connections, one after another from a
/// random start: a port from that range, free when picked, can be taken by the next outgoing connection of any
/// process (the started worker's own, to Temporal or a collector, included) before the listener meant for it binds.
/// A CI run lost a packaged worker's scrape endpoint to "Address already in use" that way.
/// </summary>
internal static class ListenPorts
{
    private static readonly (int Low, int Count) Range = BelowOutgoingRange();

    private static int next = Random.Shared.Next(Range.Count);

    public static int Free()
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Range.Low + (Interlocked.Increment(ref next) % Range.Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by something of the machine's own: the next one.
            }
        }

        throw new InvalidOperationException(
            $"no free loopback port from {Range.Low} to {Range.Low + Range.Count - 1}");
    }

    /// <summary>
    /// From 10000 up to where the kernel starts picking ports for outgoing connections (32768 unless
    /// /proc/sys/net/ipv4/ip_local_port_range says otherwise).
    /// </summary>
    private static (int Low, int Count) BelowOutgoingRange()
    {
        const int low = 10_000;
        var outgoing = 32_768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            outgoing = int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not Linux, or not readable: the kernel's usual start.
        }

        return (low, Math.Max(outgoing - low, 1_000));
    }
}
