namespace Watchtower.LoadRunner;

/// <summary>
/// Scrapes every worker with metrics on, every 100 ms, while the warm-up runs. At one scrape in 15 s, the code a scrape
/// runs (taking the connection, the listener, the exposition, the observed gauges) was still being compiled during
/// the measured pairs: a cost a long-running worker pays once, which the first rounds paid as if it were theirs.
/// </summary>
internal sealed class WarmScrapes : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly CancellationTokenSource stop = new();
    private readonly List<(string Mode, Scrapes Scrapes, Task Running)> workers = [];

    private WarmScrapes()
    {
    }

    public static WarmScrapes Start(IEnumerable<WorkerChild> workers)
    {
        var warm = new WarmScrapes();
        foreach (var worker in workers.Where(w => w.Mode.Metrics))
        {
            // A connection each, as the measured rounds' scrapes 15 s apart get, so that taking one is warmed too.
            var scrapes = new Scrapes(worker.MetricsUrl, connectionEach: true);
            warm.workers.Add((worker.Mode.Name, scrapes, scrapes.EveryAsync(Interval, warm.stop.Token)));
        }

        return warm;
    }

    /// <summary>Stops the scrapes and says how many each worker answered, or that none has metrics on.</summary>
    public async Task<string> StopAsync()
    {
        await StopScrapingAsync();
        return workers.Count == 0
            ? "nothing scraped (metrics off on both sides)"
            : string.Join(", ", workers.Select(Describe));
    }

    public async ValueTask DisposeAsync()
    {
        await StopScrapingAsync();
        foreach (var (_, scrapes, _) in workers)
        {
            scrapes.Dispose();
        }

        stop.Dispose();
    }

    private static string Describe((string Mode, Scrapes Scrapes, Task Running) worker)
    {
        var failed = worker.Scrapes.Failed > 0 ? $" ({worker.Scrapes.Failed} failed)" : string.Empty;
        var stopped = worker.Running.IsFaulted
            ? $" (stopped early: {worker.Running.Exception?.InnerException?.Message})"
            : string.Empty;
        return $"{worker.Mode} scraped {worker.Scrapes.Milliseconds.Count} times{failed}{stopped}";
    }

    /// <summary>
    /// Warming only: a scrape that failed for good (its client's timeout) is said in the warm-up line, and never
    /// takes the place of the warm-up's own failure.
    /// </summary>
    private async Task StopScrapingAsync()
    {
        await stop.CancelAsync();
        foreach (var (_, _, running) in workers)
        {
            try
            {
                await running;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Kept in the task, and said by StopAsync.
            }
        }
    }
}
