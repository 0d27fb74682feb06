using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Watchtower.EndToEnd.Tests.Faults;

/// <summary>
/// Scrapers that read <c>/metrics</c> over and over until stopped, as Prometheus servers would, each checking
/// that what it got is a whole exposition; their latencies give the scrape's p50 and p99.
/// </summary>
internal sealed partial class Scrapers : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly CancellationTokenSource stop = new();
    private readonly List<double> latenciesMs = [];
    private readonly List<string> problems = [];
    private readonly Task[] loops;

    public Scrapers(int port, int count, TimeSpan pause)
    {
        var uri = new Uri($"http://127.0.0.1:{port}/metrics");
        loops = [.. Enumerable.Range(0, count).Select(_ => Task.Run(() => LoopAsync(uri, pause)))];
    }

    public int Scrapes
    {
        get
        {
            lock (latenciesMs)
            {
                return latenciesMs.Count;
            }
        }
    }

    /// <summary>Stops them and returns p50 and p99 in milliseconds; fails on any scrape that was not whole.</summary>
    public async Task<(double P50, double P99, int Scrapes)> StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(5)));
        lock (latenciesMs)
        {
            Assert.NotEmpty(latenciesMs);
            var sorted = latenciesMs.Order().ToList();
            return (At(sorted, 0.50), At(sorted, 0.99), sorted.Count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        stop.Dispose();
    }

    private static double At(List<double> sorted, double quantile) =>
        sorted[Math.Min(sorted.Count - 1, (int)(quantile * sorted.Count))];

    // A sample line: a name, optional labels, a value.
    [GeneratedRegex("""^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfNa]+( [0-9]+)?$""")]
    private static partial Regex SampleLine();

    private async Task LoopAsync(Uri uri, TimeSpan pause)
    {
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await Http.GetAsync(uri, stop.Token);
                var body = await response.Content.ReadAsStringAsync(stop.Token);
                clock.Stop();
                Check((int)response.StatusCode, body);
                lock (latenciesMs)
                {
                    latenciesMs.Add(clock.Elapsed.TotalMilliseconds);
                }

                await Task.Delay(pause, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Problem($"scrape failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void Check(int status, string body)
    {
        if (status != 200)
        {
            Problem($"scrape answered {status}");
            return;
        }

        // Before the first workflow the interceptors' series do not exist yet; the monitors' always do.
        if (!body.Contains("# TYPE watchtower_monitoring_status gauge", StringComparison.Ordinal)
            || !body.EndsWith('\n'))
        {
            Problem("scrape lacks the monitoring status or was cut short");
            return;
        }

        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith('#') && !SampleLine().IsMatch(line))
            {
                Problem("scrape has a line that is not a sample: " + line[..Math.Min(line.Length, 200)]);
                return;
            }
        }
    }

    private void Problem(string problem)
    {
        lock (problems)
        {
            problems.Add(problem);
        }
    }
}
