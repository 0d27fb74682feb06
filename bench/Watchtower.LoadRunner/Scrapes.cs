using System.Diagnostics;
using System.Globalization;

namespace Watchtower.LoadRunner;

/// <summary>
/// GETs of one of the worker's endpoints (<c>/metrics</c>, or the liveness probe as its floor), timed from request to
/// the last byte.
/// </summary>
internal sealed class Scrapes(Uri url, bool connectionEach = false) : IDisposable
{
    // A connection idle for longer than the listener keeps it is not reused: a scrape every 15 s met resets. With
    // connectionEach, none is: each scrape then takes a connection of its own, as one every 15 s does.
    private readonly HttpClient http = new(new SocketsHttpHandler
    {
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = connectionEach ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private readonly List<double> milliseconds = [];
    private readonly List<double> gcPauseSeconds = [];
    private byte[] buffer = new byte[256 * 1024];

    public int Failed { get; private set; }

    public int Series { get; private set; }

    public int Bytes { get; private set; }

    public IReadOnlyList<double> Milliseconds => milliseconds;

    /// <summary>
    /// The worker's total GC pause as each answer reported it (<c>dotnet_gc_pause_time_seconds_total</c>), NaN where
    /// it has none: a slow answer whose next one reports a pause as long was held by a collection, not the network.
    /// </summary>
    public IReadOnlyList<double> GcPauseSeconds => gcPauseSeconds;

    public async Task ScrapeAsync()
    {
        // Read into one buffer kept for every scrape: decoding 181 KB into a string each time made garbage enough
        // for the client's own collections to show in its p99.
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length));
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        clock.Stop();
        milliseconds.Add(clock.Elapsed.TotalMilliseconds);
        Bytes = length;
        Series = CountSeries(buffer.AsSpan(0, length));
        gcPauseSeconds.Add(GcPause(buffer.AsSpan(0, length)));
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
                catch (Exception e) when (e is HttpRequestException or IOException)
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

    private static double GcPause(ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> name = "\ndotnet_gc_pause_time_seconds_total"u8;
        var at = body.IndexOf(name);
        if (at < 0)
        {
            return double.NaN;
        }

        var line = body[(at + name.Length)..];
        var end = line.IndexOf((byte)'\n');
        line = end < 0 ? line : line[..end];
        var value = line[(line.LastIndexOf((byte)' ') + 1)..];
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : double.NaN;
    }

    /// <summary>Lines that are neither empty nor a comment: one per series.</summary>
    private static int CountSeries(ReadOnlySpan<byte> body)
    {
        var series = 0;
        foreach (var range in body.Split((byte)'\n'))
        {
            var line = body[range];
            if (line.Length > 0 && line[0] != (byte)'#')
            {
                series++;
            }
        }

        return series;
    }
}
