using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Watchtower.Monitoring.Hosting.Prometheus;
using Watchtower.Tests.Shared;

namespace Watchtower.Monitoring.Tests;

[Collection(ProcessWideMeters.Name)]
public sealed class ScrapeEndpointTests
{
    [Fact]
    public async Task ScrapeEndpoint_ConnectionItAnswersOn_SendsWithoutWaitingForAcknowledgements()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the server's sockets are found through /proc/self/fd");
        var port = ListenerHost.FreePort();
        using var host = ListenerHost.Build(new() { ["Monitoring:Port"] = port });
        await host.StartAsync(TestContext.Current.CancellationToken);

        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(
            IPAddress.Loopback, int.Parse(port, CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(
            Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
            TestContext.Current.CancellationToken);
        var answer = await ListenerHost.ReadUntilAsync(
            stream, string.Empty, text => text.Contains("\r\n", StringComparison.Ordinal));
        var noDelay = ServerSideNoDelay((IPEndPoint)client.Client.LocalEndPoint!);
        await host.StopAsync(TestContext.Current.CancellationToken);

        // With Nagle's algorithm on, the last partial segment of a large answer waits for the scraper to acknowledge
        // the one before, and a scraper that delays its acknowledgements held about one idle scrape in a hundred for
        // 40 ms. Timing cannot show that reliably; the socket's option is what decides it.
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.True(noDelay, "the scrape was answered on a connection with Nagle's algorithm on");
    }

    [Fact]
    public void ListenerNoDelay_PortNoListenerHas_SaysWhy()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "HttpListener is http.sys there, without sockets of its own");
        var port = ListenPorts.Free();

        var why = ListenerNoDelay.Apply(port);

        Assert.Equal($"HttpListener has no socket listening on port {port}", why);
    }

    /// <summary>
    /// TCP_NODELAY of the socket in this process that is connected to <paramref name="client"/>: the connection the
    /// listener accepted from it.
    /// </summary>
    private static bool ServerSideNoDelay(IPEndPoint client)
    {
        foreach (var path in Directory.GetFiles("/proc/self/fd"))
        {
            if (!(new FileInfo(path).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) ?? false)
                || !int.TryParse(Path.GetFileName(path), CultureInfo.InvariantCulture, out var fd))
            {
                continue;
            }

            try
            {
                // Not owned: disposing this view of the descriptor leaves the listener's connection open.
                using var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
                if (client.Equals(socket.RemoteEndPoint))
                {
                    return socket.NoDelay;
                }
            }
            catch (SocketException)
            {
                // Closed (its number perhaps taken again) since the directory was listed, or not a socket this
                // runtime can represent: not the listener's connection either way.
            }
        }

        Assert.Fail($"no socket in this process is connected to {client}");
        return false;
    }
}
