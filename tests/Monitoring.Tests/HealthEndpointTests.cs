using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting.Health;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Tests;

[Collection(ProcessWideMeters.Name)]
public sealed class HealthEndpointTests
{
    [Fact]
    public async Task HealthEndpoint_HostValueTheListenerRefuses_FallsBackAndTheHostRuns()
    {
        // Passes the settings check (no '/' or space), but HttpListener refuses the prefix itself.
        using var host = ListenerHost.Build(
            new() { ["Monitoring:Host"] = new string('x', 300), ["Monitoring:Port"] = ListenerHost.FreePort() });
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        await host.StartAsync(TestContext.Current.CancellationToken);
        var endpoint = host.Services.GetServices<IHostedService>().OfType<HealthEndpoint>().Single();

        // The endpoint runs on the host's background thread: its whole run, not just its first report, must end
        // without stopping the host.
        await endpoint.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var status = host.Services.GetRequiredService<MonitoringStatus>().Monitors;
        var stopping = lifetime.ApplicationStopping.IsCancellationRequested;
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.False(
            stopping,
            "the host stopped: " + string.Join(" | ", host.Services.GetFakeLogCollector().GetSnapshot()
                .Where(r => r.Level >= LogLevel.Warning).Select(r => r.Message + " " + r.Exception?.Message)));
        Assert.NotNull(status["health"]);
        Assert.NotNull(status["prometheus"]);
        Assert.Null(status["memory"]);
    }

    [Fact]
    public async Task HealthEndpoint_ScrapeTurnedOff_StillAnswers()
    {
        var port = ListenerHost.FreePort();
        using var host = ListenerHost.Build(new() { ["Monitoring:Enabled"] = "false", ["Monitoring:Port"] = port });
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var live = await ListenerHost.Eventually(() => http.GetAsync($"http://127.0.0.1:{port}/health/live"));
        var metrics = await http.GetAsync($"http://127.0.0.1:{port}/metrics", TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
    }

    [Fact]
    public async Task HealthEndpoint_Answer_SentWholeWithItsLength()
    {
        var port = ListenerHost.FreePort();
        using var host = await StartAnsweringAsync(port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // Headers only: a buffered body would stand in for a length the server never sent.
        using var live = await http.GetAsync(
            $"http://127.0.0.1:{port}/health/live",
            HttpCompletionOption.ResponseHeadersRead,
            TestContext.Current.CancellationToken);
        var length = live.Content.Headers.ContentLength;
        var chunked = live.Headers.TransferEncodingChunked;
        var body = await live.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);

        // Sent in chunks, a small answer ends with two writes of a few bytes each, which the server's Nagle holds
        // until the client's delayed acknowledgement comes: every probe then took about 40 ms instead of under 1.
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.NotEqual(true, chunked);
        Assert.Equal(body.Length, length);
    }

    [Fact]
    public async Task HealthEndpoint_HeadThenGetOnOneConnection_HeadAnswerHasNoBody()
    {
        var port = ListenerHost.FreePort();
        using var host = await StartAnsweringAsync(port);

        // On a raw connection, as a load balancer's checker sends them (HttpClient drops a connection that has
        // unexpected bytes waiting, which would hide a body sent after a HEAD answer). One request at a time:
        // HttpListener answers only the first of requests sent together.
        using var client = new TcpClient();
        await client.ConnectAsync(
            IPAddress.Loopback, int.Parse(port, CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        var request = $" /health/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n";
        await stream.WriteAsync(
            System.Text.Encoding.ASCII.GetBytes("HEAD" + request), TestContext.Current.CancellationToken);
        var headAnswer = await ListenerHost.ReadUntilAsync(stream, string.Empty, text => HeaderEnds(text) >= 1);
        await stream.WriteAsync(
            System.Text.Encoding.ASCII.GetBytes("GET" + request), TestContext.Current.CancellationToken);
        var received = await ListenerHost.ReadUntilAsync(
            stream, headAnswer, text => HeaderEnds(text) >= 2 && text.EndsWith('}'));
        await host.StopAsync(TestContext.Current.CancellationToken);

        // The HEAD answer's headers, then at once the GET answer: nothing between them.
        var headEnd = received.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.StartsWith("HTTP/1.1 200", received, StringComparison.Ordinal);
        Assert.True(
            received[headEnd..].StartsWith("HTTP/1.1 200", StringComparison.Ordinal),
            "the HEAD answer carried a body: " + received);
    }

    [Fact]
    public async Task HealthEndpoint_HealthTurnedOff_ServesNothingAndScrapeStays()
    {
        var port = ListenerHost.FreePort();
        using var host = ListenerHost.Build(new() { ["Monitoring:Health"] = "false", ["Monitoring:Port"] = port });
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var metrics = await ListenerHost.Eventually(() => http.GetAsync($"http://127.0.0.1:{port}/metrics"));
        var live = await http.GetAsync($"http://127.0.0.1:{port}/health/live", TestContext.Current.CancellationToken);
        var monitors = host.Services.GetRequiredService<MonitoringStatus>().Monitors;
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, live.StatusCode);
        Assert.False(monitors.ContainsKey("health"), "a health endpoint turned off is not a monitor that fell back");
    }

    /// <summary>A host with the health endpoints on <paramref name="port"/>, once /health/live answers.</summary>
    private static async Task<IHost> StartAnsweringAsync(string port)
    {
        var host = ListenerHost.Build(new() { ["Monitoring:Port"] = port });
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var answered =
            await ListenerHost.Eventually(() => http.GetAsync($"http://127.0.0.1:{port}/health/live"));
        return host;
    }

    private static int HeaderEnds(string text) =>
        (text.Length - text.Replace("\r\n\r\n", string.Empty, StringComparison.Ordinal).Length) / 4;
}
