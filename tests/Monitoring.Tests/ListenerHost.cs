using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Watchtower.Tests.Shared;

namespace Watchtower.Monitoring.Tests;

/// <summary>A host with the monitoring listener (scrape and health endpoints), as the worker composes it.</summary>
internal static class ListenerHost
{
    public static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddFakeLogging();
        builder.AddTemporalMonitoring().AddPrometheusScrapeEndpoint();
        return builder.Build();
    }

    // The listeners start on the host's background threads; a refused connection means "not yet".
    public static async Task<HttpResponseMessage> Eventually(Func<Task<HttpResponseMessage>> request)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                return await request();
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
    }

    public static string FreePort() => ListenPorts.Free().ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads the connection until <paramref name="done"/> holds for everything received: <paramref name="before"/>
    /// (what earlier reads brought) and what comes now. At most 10 s.
    /// </summary>
    public static async Task<string> ReadUntilAsync(NetworkStream stream, string before, Func<string, bool> done)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var text = new System.Text.StringBuilder(before);
        var buffer = new byte[4096];
        try
        {
            while (!done(text.ToString()))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail("no complete answer within 10 s; received: " + text);
        }

        return text.ToString();
    }
}
