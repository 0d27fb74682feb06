using System.Globalization;
using System.Net;
using System.Text.Json;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests;

public sealed class HealthTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task HealthEndpoints_PollingWorker_LiveStartupReadyAnswerWithEachCheckBesideMetrics()
    {
        server.RequireCli();
        var port = TestTools.FreePort();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: new Dictionary<string, string?>
            {
                ["Monitoring:Enabled"] = "true",
                ["Monitoring:Port"] = port.ToString(CultureInfo.InvariantCulture),
            });
        var health = new HealthProbe(port);

        var live = await health.GetAsync("live");
        var startup = await health.WaitForAsync("startup", 200, "startup once the worker polls");
        var ready = await health.WaitForAsync("ready", 200, "readiness once the worker polls");

        Assert.Equal(200, live.Status);
        Assert.Equal("Healthy", Status(live.Body));
        Assert.Equal(["temporal-startup"], Checks(startup.Body));
        Assert.Equal(
            ["dispatcher-attachment", "dispatchers", "memory", "monitors", "temporal"],
            Checks(ready.Body).Order(StringComparer.Ordinal));
        Assert.Contains("connected and polling", ready.Body, StringComparison.Ordinal);

        using var http = new HttpClient();
        using var metrics = await http.GetAsync(
            new Uri($"http://127.0.0.1:{port}/metrics"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(404, (await health.GetAsync("nothing")).Status);
    }

    private static string Status(string body)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("status").GetString()!;
    }

    private static string[] Checks(string body)
    {
        using var json = JsonDocument.Parse(body);
        return [.. json.RootElement.GetProperty("checks").EnumerateObject().Select(p => p.Name)];
    }
}
