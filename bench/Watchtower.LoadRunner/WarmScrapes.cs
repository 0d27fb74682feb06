namespace Watchtower.LoadRunner;

/// <summary>
/// Scrapes every worker with metrics on, every 100 ms, while the warm-up runs. At one scrape in 15 s, the code a scrape
/// runs (taking the connection, the listener, the exposition, the observed gauges) was still being compiled during
/// the measured pairs: a cost a long-running worker pays once, which the first rounds paid as if it were theirs.
/// </summary>
internal sealed class WarmScrapes : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly List<(string Mode, ScrapeLoop Loop)> workers;

    private WarmScrapes(List<(string Mode, ScrapeLoop Loop)> workers) => this.workers = workers;

    public static WarmScrapes Start(IEnumerable<WorkerChild> workers) => new(
        workers.Where(w => w.Mode.Metrics)
            // A connection each, as the measured rounds' scrapes 15 s apart get, so that taking one is warmed too.
            .Select(w => (w.Mode.Name, ScrapeLoop.Start(new Scrapes(w.MetricsUrl, connectionEach: true), Interval)))
            .ToList());

    /// <summary>
    /// Stops the scrapes and says how many each worker answered, or that none has metrics on. Warming only: a loop
    /// that failed for good (its client's timeout) is said here, and never takes the place of the warm-up's own
    /// failure.
    /// </summary>
    public async Task<string> StopAsync()
    {
        foreach (var (_, loop) in workers)
        {
            try
            {
                await loop.StopAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Kept in the loop, and said below.
            }
        }

        return workers.Count == 0
            ? "nothing scraped (metrics off on both sides)"
            : string.Join(", ", workers.Select(w => Describe(w.Mode, w.Loop)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, loop) in workers)
        {
            await loop.DisposeAsync();
        }
    }

    private static string Describe(string mode, ScrapeLoop loop)
    {
        var failed = loop.Scrapes.Failed > 0 ? $" ({loop.Scrapes.Failed} failed)" : string.Empty;
        var stopped = loop.Running.IsFaulted
            ? $" (stopped early: {loop.Running.Exception?.InnerException?.Message})"
            : string.Empty;
        return $"{mode} scraped {loop.Scrapes.Milliseconds.Count} times{failed}{stopped}";
    }
}
