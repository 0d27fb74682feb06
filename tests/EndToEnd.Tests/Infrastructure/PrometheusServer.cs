using System.Globalization;
using System.Text.Json;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c>) on a free loopback port, scraping the targets
/// the test names every second with the repository's alert rules loaded and evaluated every
/// second, its configuration and storage in a directory of its own. Disposing stops it and deletes
/// the directory. Answers come from its HTTP API, as a dashboard or a person would ask.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly ExternalProcess process;
    private readonly string directory;
    private readonly Uri api;

    private PrometheusServer(ExternalProcess process, string directory, int port)
    {
        this.process = process;
        this.directory = directory;
        api = new Uri($"http://127.0.0.1:{port}/api/v1/");
    }

    /// <summary>What Prometheus logged so far (warnings and errors only), for failure messages.</summary>
    public string Output => process.Output;

    /// <summary>Starts Prometheus and waits until it is ready to answer queries.</summary>
    /// <param name="path">The prometheus binary.</param>
    /// <param name="ruleFiles">Rule files to load (a glob is fine).</param>
    /// <param name="jobs">
    /// Scrape jobs: job name and <c>host:port</c> of its one target, scraped at <c>/metrics</c> unless a path
    /// follows the port.
    /// </param>
    public static async Task<PrometheusServer> StartAsync(
        string path,
        string ruleFiles,
        params (string Job, string Target)[] jobs)
    {
        var directory = Path.Combine(Path.GetTempPath(), "watchtower-prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, Config(ruleFiles, jobs), TestContext.Current.CancellationToken);
        var port = TestTools.FreePort();
        var server = new PrometheusServer(
            ExternalProcess.Start(path, [
                "--config.file=" + config,
                "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
                "--log.level=warn",
            ]),
            directory,
            port);
        try
        {
            await Eventually.UntilAsync(
                async () => server.process.HasExited
                    || await TestTools.AnswersAsync(new Uri($"http://127.0.0.1:{port}/-/ready")),
                done => done,
                "Prometheus to become ready");
            Assert.False(
                server.process.HasExited,
                $"Prometheus exited at start-up:{Environment.NewLine}{server.Output}");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// An instant query at the current time; fails with Prometheus' own message when the expression is refused.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string expression)
    {
        var (error, result) = await TryQueryAsync(expression);
        Assert.True(error is null, $"Prometheus refused {expression}: {error}");
        return result;
    }

    /// <summary>
    /// An instant query at the current time: Prometheus' error when it refuses the expression, else the samples.
    /// </summary>
    public async Task<(string? Error, IReadOnlyList<JsonElement> Result)> TryQueryAsync(string expression)
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["query"] = expression });
        using var response =
            await Http.PostAsync(new Uri(api, "query"), content, TestContext.Current.CancellationToken);
        var (error, data) = await ReadAsync(response);
        if (error is not null)
        {
            return (error, []);
        }

        var result = data.GetProperty("result");
        return data.GetProperty("resultType").GetString() switch
        {
            "vector" or "matrix" => (null, [.. result.EnumerateArray()]),
            _ => (null, [result]),
        };
    }

    /// <summary>The data of a GET on the API, e.g. <c>targets</c>, <c>rules</c>, <c>alerts</c>.</summary>
    public async Task<JsonElement> GetAsync(string relative)
    {
        using var response = await Http.GetAsync(new Uri(api, relative), TestContext.Current.CancellationToken);
        return await DataAsync(response, relative);
    }

    /// <summary>
    /// Values of a label on the series a selector matches: Grafana's <c>label_values(selector, label)</c>.
    /// </summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string selector)
    {
        var data = await GetAsync(
            $"label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(selector)}");
        return [.. data.EnumerateArray().Select(v => v.GetString()!)];
    }

    /// <summary>The value of one sample of a query result.</summary>
    public static double Value(JsonElement sample) =>
        double.Parse(sample.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>A label of one sample of a query result, or null when the sample has none.</summary>
    public static string? Label(JsonElement sample, string name) =>
        sample.GetProperty("metric").TryGetProperty(name, out var value) ? value.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await process.DisposeAsync();
        }
        finally
        {
            TestTools.DeleteDirectoryBestEffort(directory);
        }
    }

    private static string Config(string ruleFiles, (string Job, string Target)[] jobs)
    {
        // A target may name its path ("127.0.0.1:9464/metrics/temporal-core"); else it is scraped at /metrics.
        var scrapes = string.Concat(jobs.Select(j => j.Target.Split('/', 2) is [var address, var path]
            ? $"""

              - job_name: {j.Job}
                metrics_path: /{path}
                static_configs:
                  - targets: ['{address}']
            """
            : $"""

              - job_name: {j.Job}
                static_configs:
                  - targets: ['{j.Target}']
            """));
        return $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - '{ruleFiles.Replace("'", "''", StringComparison.Ordinal)}'
            scrape_configs:{scrapes}

            """;
    }

    private static async Task<JsonElement> DataAsync(HttpResponseMessage response, string what)
    {
        var (error, data) = await ReadAsync(response);
        Assert.True(error is null, $"Prometheus refused {what}: {error}");
        return data;
    }

    /// <summary>The API's envelope: the error (with the HTTP status) or the data.</summary>
    private static async Task<(string? Error, JsonElement Data)> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (response.IsSuccessStatusCode && root.GetProperty("status").GetString() == "success")
        {
            return (null, root.GetProperty("data").Clone());
        }

        return (
            $"{(int)response.StatusCode} {(root.TryGetProperty("error", out var error) ? error.GetString() : body)}",
            default);
    }
}
