using System.Globalization;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests;

/// <summary>The tests' own tools, where a mistake would show up as a flaky test somewhere else.</summary>
public sealed class TestToolsTests
{
    [Fact]
    public void FreePort_ManyPicked_AllDistinctAndBelowTheKernelsOutgoingRange()
    {
        var range = File.Exists("/proc/sys/net/ipv4/ip_local_port_range")
            ? File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
            : "32768 60999";
        var outgoingFrom = int.Parse(
            range.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);

        var ports = Enumerable.Range(0, 50).Select(_ => TestTools.FreePort()).ToList();

        // A port the kernel may hand to any outgoing connection can be gone before its listener binds.
        Assert.All(ports, port => Assert.InRange(port, 1024, outgoingFrom - 1));
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }
}
