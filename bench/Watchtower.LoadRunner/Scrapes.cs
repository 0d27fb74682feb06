using System.Diagnostics;

namespace Watchtower.LoadRunner;

/// <summary>Scrapes of the worker's <c>/metrics</c>, timed from request to the last byte.</summary>
internal sealed class Scrapes(Uri url) : IDisposable
{
    // A connection idle for longer than the listener keeps it is not reused: a scrape every 15 s met resets.
    private readonly HttpClient http = new(new SocketsHttpHandler
    {
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private readonly List<double> milliseconds = [];

    public int Failed { get; private set; }

    public int Series { get; private set; }

    public int Bytes { get; private set; }

    public IReadOnlyList<double> Milliseconds => milliseconds;

    public async Task ScrapeAsync()
    {
        var clock = Stopwatch.StartNew();
        var body = await http.GetStringAsync(url);
        clock.Stop();
        milliseconds.Add(clock.Elapsed.TotalMilliseconds);
        Bytes = System.Text.Encoding.UTF8.GetByteCount(body);
        Series = body.Split('\n').Count(line => line.Length > 0 && line[0] != '#');
    }

    /// <summary>Scrapes every <paramref name="interval"/> until <paramref name="stop"/> is canceled.</summary>
    public async Task EveryAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                try
                {
                    await ScrapeAsync();
                }
                catch (HttpRequestException)
                {
                    Failed++;
                }
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public double Percentile(double p)
    {
        var sorted = milliseconds.Order().ToList();
        return sorted.Count == 0
            ? double.NaN
            : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    public void Dispose() => http.Dispose();
}
